from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .forms import ProfileForm


def _remember_language(response, lang: str):
    """This browser shows `lang` from now on (an empty choice follows the browser again)."""
    if lang:
        translation.activate(lang)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, samesite="Lax",
                            max_age=settings.LANGUAGE_COOKIE_AGE, secure=settings.LANGUAGE_COOKIE_SECURE)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        lang = form.cleaned_data.get("language")
        if lang:
            translation.activate(lang)
        messages.success(request, _("Your profile was saved."))
        return _remember_language(redirect("accounts:profile"), lang)
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request):
    """The header's language switcher: for everyone (signed in or not) the
    browser's cookie; for a signed-in user also the profile, so that the
    choice follows them to other browsers."""
    response = django_set_language(request)
    lang = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and lang in dict(settings.LANGUAGES) and user.language != lang:
        user.language = lang
        user.save(update_fields=["language"])
    return response
