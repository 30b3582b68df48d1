from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from .forms import ProfileForm


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        response = redirect("accounts:profile")
        lang = form.cleaned_data.get("language")
        if lang:
            translation.activate(lang)
            response.set_cookie("django_language", lang, samesite="Lax")
        else:
            response.delete_cookie("django_language")
        return response
    return render(request, "accounts/profile.html", {"form": form})
