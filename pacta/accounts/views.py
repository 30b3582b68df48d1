from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from pacta.core.actions.watch import (
    can_manage_absences,
    do_create_calendar_token,
    do_delete_absence,
    do_record_absence,
    do_revoke_calendar_token,
)
from pacta.core.models import Absence, Action, CalendarToken
from pacta.core.outbox import mail_problems
from pacta.front.views.common import FAILED, attempt
from pacta.lib import clock

from .forms import AbsenceForm, ProfileForm

MAIL_PROBLEMS_SHOWN = 20


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
    return _profile_page(request, form)


def _profile_page(request, form, **ctx):
    """The profile: the form, e-mail that did not reach this person, their calendar feed and absences."""
    user = request.user
    problems = mail_problems(user)
    return render(request, "accounts/profile.html", {
        "form": form,
        "mail_problems": problems[:MAIL_PROBLEMS_SHOWN],
        "mail_problem_count": problems.count(),
        "calendar_tokens": user.calendar_tokens.filter(revoked_at__isnull=True),
        "absences": user.absences.filter(end__gte=clock.local_today()).select_related("recorded_by"),
        "absence_form": AbsenceForm(user=user) if user.can_write else None,
        **ctx,
    })


# ---------------------------------------------------------------------------
# the calendar feed


@never_cache  # the answer holds the secret
@login_required
@require_POST
def calendar_create(request):
    """Make a new calendar feed URL (the old one stops working) and show it, this once."""
    _token, secret = do_create_calendar_token(acting_user=request.user, user=request.user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[secret]))
    return _profile_page(request, ProfileForm(instance=request.user), calendar_url=url)


@login_required
@require_POST
def calendar_revoke(request, pk):
    token = get_object_or_404(CalendarToken, pk=pk, user=request.user)
    do_revoke_calendar_token(token, acting_user=request.user)
    messages.success(request, _("The calendar URL ending in …%(hint)s no longer works.") % {"hint": token.hint})
    return redirect(reverse("accounts:profile") + "#calendar")


# ---------------------------------------------------------------------------
# absences


def _next_or(request, default: str) -> str:
    """Where to go after a post: the form's `next` when it is a page of this site, else `default`."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return default


@login_required
@require_http_methods(["GET", "POST"])
def absences(request):
    """Everybody's current and coming absences; record one (your own, or anybody's as a manager)."""
    form = AbsenceForm(request.POST or None, user=request.user) if request.user.can_write else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("You may look at this, but not change it."))
        if form.is_valid():
            who = form.absent_user()
            if not can_manage_absences(request.user, who):
                raise PermissionDenied(_("Only managers record other people's absences."))
            c = form.cleaned_data
            saved = attempt(lambda: do_record_absence(acting_user=request.user, user=who, start=c["start"],
                                                      end=c["end"], note=c["note"]), form)
            if saved is not FAILED:
                messages.success(request, _("The absence of %(who)s was recorded.") % {"who": who})
                return redirect(_next_or(request, reverse("accounts:absences")))
    rows = list(Absence.objects.filter(end__gte=clock.local_today()).select_related("user", "recorded_by"))
    open_counts = dict(Action.objects.filter(owner__in=[a.user_id for a in rows], status__in=Action.OPEN_STATUSES)
                       .order_by().values_list("owner").annotate(n=Count("pk")))
    for absence in rows:
        absence.open_actions = open_counts.get(absence.user_id, 0)
        absence.can_delete = can_manage_absences(request.user, absence.user)
    return render(request, "accounts/absences.html", {"form": form, "absences": rows, "today": clock.local_today()})


@login_required
@require_POST
def absence_delete(request, pk):
    absence = get_object_or_404(Absence.objects.select_related("user"), pk=pk)
    if not can_manage_absences(request.user, absence.user):
        raise PermissionDenied(_("Only managers change other people's absences."))
    do_delete_absence(absence, acting_user=request.user)
    messages.success(request, _("The absence was deleted."))
    return redirect(_next_or(request, reverse("accounts:absences")))


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
