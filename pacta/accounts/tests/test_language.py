"""The language a person chooses sticks: in the profile for a signed-in user,
in a cookie for everyone (the header's switcher works before signing in)."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from pacta.accounts.models import User


def html_lang(response) -> str:
    return response.text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_switcher_works_before_signing_in(db, client):
    response = client.post(reverse("accounts:set_language"), {"language": "de", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert html_lang(client.get(reverse("login"))) == "de"


def test_the_switcher_remembers_a_signed_in_users_choice(users, client):
    client.force_login(users["vera"])
    client.post(reverse("accounts:set_language"), {"language": "nb", "next": "/"})
    assert User.objects.get(username="vera").language == "nb"


def test_an_unknown_language_changes_nothing(users, client):
    client.force_login(users["vera"])
    client.post(reverse("accounts:set_language"), {"language": "xx", "next": "/"})
    assert User.objects.get(username="vera").language == ""


def test_the_profile_language_follows_the_user_to_another_browser(users, client):
    client.force_login(users["olav"])
    response = client.post(reverse("accounts:profile"), {"first_name": "Olav", "last_name": "Owner",
                                                        "email": "olav@example.com", "language": "nl", "timezone": ""})
    assert response.status_code == 302
    assert User.objects.get(username="olav").language == "nl"
    other_browser = Client(HTTP_ACCEPT_LANGUAGE="en")  # no cookie: the stored choice decides
    other_browser.force_login(users["olav"])
    assert html_lang(other_browser.get(reverse("front:dashboard"))) == "nl"


def test_leaving_the_language_empty_follows_the_browser_again(users, client):
    client.force_login(users["olav"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.post(reverse("accounts:profile"), {"first_name": "Olav", "email": "olav@example.com", "language": "",
                                              "timezone": ""})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert html_lang(client.get(reverse("front:dashboard"), HTTP_ACCEPT_LANGUAGE="nb")) == "nb"


def test_the_profile_refuses_an_unknown_time_zone(users, client):
    client.force_login(users["olav"])
    response = client.post(reverse("accounts:profile"), {"first_name": "Olav", "email": "olav@example.com",
                                                        "language": "", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert response.context["form"].errors["timezone"]
