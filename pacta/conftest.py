"""The small named world every test can use (STYLE.md habit 10).

- `admin`   – administrator (superuser)
- `mona`    – manager: changes everything
- `olav`    – member who owns things (point of contact of the world's customer)
- `nina`    – member who owns nothing in it (the outsider)
- `vera`    – viewer: sees, never changes
"""

import pytest

from pacta.accounts.models import Role, User

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role,
                                    email=f"{username}@example.com", **extra)
    return user


@pytest.fixture(autouse=True)
def dashboard_counts_every_time(settings):
    """A reused dashboard would carry one test's figures into the next."""
    settings.PACTA_DASHBOARD_CACHE = 0


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers are slow on purpose; tests need no protection."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_outside_the_clone(settings, media_dir):
    """Files that tests store (attachments) go to a temporary folder, never into the clone's var/media."""
    settings.MEDIA_ROOT = media_dir


@pytest.fixture
def users(db):
    return {
        "admin": make_user("admin", Role.ADMIN, is_superuser=True, is_staff=True),
        "mona": make_user("mona", Role.MANAGER, first_name="Mona", last_name="Manager"),
        "olav": make_user("olav", Role.MEMBER, first_name="Olav", last_name="Owner"),
        "nina": make_user("nina", Role.MEMBER, first_name="Nina", last_name="Outsider"),
        "vera": make_user("vera", Role.VIEWER, first_name="Vera", last_name="Viewer"),
    }
