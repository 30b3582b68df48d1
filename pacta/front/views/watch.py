"""Watch and act: the lists behind the dashboard's numbers (instances, actions,
deviations, mail with problems) and the work on an action — open it by hand,
change it, resolve it (with the other side's waiver), reopen it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from pacta.core.actions.watch import (
    WaiverData,
    can_change_action,
    default_title,
    do_open_action,
    do_resolve_action,
    do_update_action,
)
from pacta.core.models import Action, Deviation, Instance, OutboundMail
from pacta.core.outbox import commitment_title
from pacta.core.routing import absent_user_ids, actions_for, recipient_for
from pacta.front.forms import RevisionForm
from pacta.front.listing import Column
from pacta.front.watch_forms import (
    ActionFilter,
    ActionForm,
    ActionWaiverForm,
    DeviationFilter,
    InstanceFilter,
    MailFilter,
    OpenActionForm,
    ResolveForm,
)
from pacta.lib import clock

from .common import FAILED, all_valid, attempt, get_commitment, list_page, require_change, trail


def _username(user) -> str:
    return user.get_username() if user else ""


def _commitment_ref(obj) -> str:
    return str(obj.commitment)


# ---------------------------------------------------------------------------
# instances


INSTANCE_SORTS = {
    "due": ("due", "commitment__agreement__reference", "key"),
    "status": ("status", "due"),
    "party": ("commitment__agreement__party__name", "due"),
    "commitment": ("commitment__agreement__reference", "commitment__key", "due"),
    "late": ("days_late", "due"),
}

INSTANCE_COLUMNS = [
    Column(gettext_lazy("party"), lambda i: i.commitment.agreement.party.code),
    Column(gettext_lazy("commitment"), _commitment_ref),
    Column(gettext_lazy("type"), lambda i: i.commitment.type),
    Column(gettext_lazy("instance"), lambda i: i.key),
    Column(gettext_lazy("status"), lambda i: i.status),
    Column(gettext_lazy("health"), lambda i: i.health),
    Column(gettext_lazy("due"), lambda i: i.due),
    Column(gettext_lazy("done"), lambda i: i.done),
    Column(gettext_lazy("days late"), lambda i: i.days_late),
    Column(gettext_lazy("explanation"), lambda i: i.explanation),
]


@login_required
def instance_list(request):
    qs = Instance.objects.select_related("commitment__agreement__party")
    return list_page(request, InstanceFilter(request.GET), qs, sorts=INSTANCE_SORTS, default="due",
                     columns=INSTANCE_COLUMNS, export_name="instances", template="watch/instance")


# ---------------------------------------------------------------------------
# actions


ACTION_SORTS = {
    "due": ("due_on",),
    "status": ("status", "due_on"),
    "owner": ("owner__username", "due_on"),
    "party": ("commitment__agreement__party__name", "due_on"),
    "title": ("title",),
    "opened": ("opened_at",),
}

ACTION_COLUMNS = [
    Column(gettext_lazy("id"), lambda a: a.pk),
    Column(gettext_lazy("title"), lambda a: a.title),
    Column(gettext_lazy("party"), lambda a: a.commitment.agreement.party.code),
    Column(gettext_lazy("commitment"), _commitment_ref),
    Column(gettext_lazy("instance"), lambda a: a.instance_key),
    Column(gettext_lazy("status"), lambda a: a.status),
    Column(gettext_lazy("owner"), lambda a: _username(a.owner)),
    Column(gettext_lazy("assigned as"), lambda a: a.routing),
    Column(gettext_lazy("due"), lambda a: a.due_on),
    Column(gettext_lazy("opened"), lambda a: a.opened_at),
    Column(gettext_lazy("closed"), lambda a: a.closed_at),
    Column(gettext_lazy("resolution"), lambda a: a.resolution),
]


def actions_queryset():
    return Action.objects.select_related("owner", "commitment__agreement__party")


def mark_stand_ins(user, actions) -> None:
    """Tell, on each action of a page, whether its owner is away today and whether `user` stands in for them."""
    today = clock.local_today()
    absent = absent_user_ids(today)
    standing_in = set(actions_for(user, today).exclude(owner=user).filter(pk__in=[a.pk for a in actions])
                      .values_list("pk", flat=True))
    for action in actions:
        action.owner_away = action.owner_id in absent
        action.standing_in = action.pk in standing_in


@login_required
def action_list(request):
    filters = ActionFilter(request.GET, user=request.user)
    return list_page(request, filters, actions_queryset(), sorts=ACTION_SORTS, default="due", columns=ACTION_COLUMNS,
                     export_name="actions", template="watch/action",
                     on_page=lambda page: mark_stand_ins(request.user, page.object_list))


def get_action(pk: int) -> Action:
    return get_object_or_404(
        Action.objects.select_related("commitment__agreement__party", "owner", "meant_for", "opened_by",
                                      "closed_by", "waiver"), pk=pk)


def get_rw_action(request, pk: int) -> Action:
    action = get_action(pk)
    if not can_change_action(request.user, action):
        raise PermissionDenied(_("You may look at this action, but not work on it."))
    return action


@login_required
def action_detail(request, pk):
    action = get_action(pk)
    commitment = action.commitment
    today = clock.local_today()
    mark_stand_ins(request.user, [action])
    instance = commitment.instances.filter(key=action.instance_key).first() if action.instance_key else None
    return render(request, "front/watch/action_detail.html", {
        "action": action,
        "commitment": commitment,
        "commitment_title": commitment_title(commitment),
        "agreement": commitment.agreement,
        "party": commitment.agreement.party,
        "instance": instance,
        "deviations": action.deviations.order_by("at", "pk"),
        "told": recipient_for(action, today) if action.is_open and action.owner_away else None,
        "can_work": can_change_action(request.user, action),
        "reopen": RevisionForm(initial={"revision": action.revision}),
        "trail": trail(object_type="action", object_id=str(action.pk)),
    })


def _action_page(request, action: Action, template: str, ctx: dict):
    commitment = action.commitment
    return render(request, f"front/watch/{template}", {
        "action": action, "commitment": commitment, "agreement": commitment.agreement, **ctx,
    })


def _require_open(action: Action) -> None:
    if not action.is_open:
        raise Http404(_("This action is closed. Reopen it first."))


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    action = get_rw_action(request, pk)
    _require_open(action)
    form = ActionForm(request.POST or None, initial={
        "revision": action.revision, **{name: getattr(action, name) for name in ActionForm.FIELDS}})
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_update_action(action, acting_user=request.user,
                                                 expected_revision=form.cleaned_data["revision"], **form.changes()),
                        form)
        if saved is not FAILED:
            messages.success(request, _("The action was saved."))
            return redirect(action)
    return _action_page(request, action, "action_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def action_resolve(request, pk):
    action = get_rw_action(request, pk)
    _require_open(action)
    data = request.POST or None
    form = ResolveForm(data, initial={"revision": action.revision})
    waiver = ActionWaiverForm(data) if action.instance_key else None
    if request.method == "POST" and all_valid(form, waiver):
        resolved = attempt(lambda: do_resolve_action(
            action, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
            status=form.cleaned_data["status"], resolution=form.cleaned_data["resolution"],
            waiver=_waiver_data(form, waiver)), form, waiver)
        if resolved is not FAILED:
            messages.success(request, _("The action was closed as %(status)s.") % {
                "status": resolved.get_status_display()})
            return redirect(action)
    return _action_page(request, action, "action_resolve.html", {"form": form, "waiver": waiver})


def _waiver_data(form: ResolveForm, waiver: ActionWaiverForm | None) -> WaiverData | None:
    if waiver is None or not form.cleaned_data["waiver"]:
        return None
    w = waiver.cleaned_data
    return WaiverData(reason=w["reason"], granted_by=w["granted_by"], at=w["at"])


@login_required
@require_POST
def action_reopen(request, pk):
    action = get_rw_action(request, pk)
    form = RevisionForm(request.POST)
    if action.is_open:
        return redirect(action)
    if form.is_valid():
        reopened = attempt(lambda: do_update_action(action, acting_user=request.user,
                                                    expected_revision=form.cleaned_data["revision"],
                                                    status=Action.Status.OPEN), form)
        if reopened is not FAILED:
            messages.success(request, _("The action was reopened."))
            return redirect(action)
    for error in form.non_field_errors() or [_("The page was out of date. Try again.")]:
        messages.error(request, error)
    return redirect(action)


@login_required
@require_http_methods(["GET", "POST"])
def action_open(request, reference, key):
    commitment = get_commitment(reference, key)
    require_change(request, commitment)
    if commitment.removed_in_id is not None:
        raise Http404(_("This commitment was removed."))
    linked = request.GET.get("instance", "")  # the form posts back to this URL, with it
    form = OpenActionForm(request.POST or None, commitment=commitment, linked=linked,
                          initial={"instance_key": linked})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        opened = attempt(lambda: do_open_action(
            commitment, acting_user=request.user, instance_key=c["instance_key"], title=c["title"],
            description=c["description"], owner=c["owner"], due_on=c["due_on"]), form)
        if opened is not FAILED:
            messages.success(request, _("The action was opened."))
            return redirect(opened)
    return render(request, "front/watch/action_open.html", {
        "form": form, "commitment": commitment, "agreement": commitment.agreement,
        "default_title": default_title(commitment, ""),
    })


# ---------------------------------------------------------------------------
# deviations


DEVIATION_SORTS = {"at": ("at",), "recorded": ("created_at",), "processed": ("processed_at",)}

DEVIATION_COLUMNS = [
    Column(gettext_lazy("as of"), lambda d: d.at),
    Column(gettext_lazy("party"), lambda d: d.commitment.agreement.party.code),
    Column(gettext_lazy("commitment"), _commitment_ref),
    Column(gettext_lazy("instance"), lambda d: d.instance_key),
    Column(gettext_lazy("was"), lambda d: d.old_status),
    Column(gettext_lazy("became"), lambda d: d.new_status),
    Column(gettext_lazy("reason"), lambda d: d.reason),
    Column(gettext_lazy("processed"), lambda d: d.processed_at),
    Column(gettext_lazy("outcome"), lambda d: d.outcome),
    Column(gettext_lazy("action"), lambda d: d.action_id),
]


@login_required
def deviation_list(request):
    qs = Deviation.objects.select_related("commitment__agreement__party", "action")
    return list_page(request, DeviationFilter(request.GET), qs, sorts=DEVIATION_SORTS, default="-at",
                     columns=DEVIATION_COLUMNS, export_name="deviations", template="watch/deviation")


# ---------------------------------------------------------------------------
# mail with problems


MAIL_SORTS = {"created": ("created_at",), "attempts": ("attempts", "created_at"),
              "recipient": ("recipient__username", "created_at")}

MAIL_COLUMNS = [
    Column(gettext_lazy("created"), lambda m: m.created_at),
    Column(gettext_lazy("kind"), lambda m: m.kind),
    Column(gettext_lazy("recipient"), lambda m: _username(m.recipient)),
    Column(gettext_lazy("to"), lambda m: m.to),
    Column(gettext_lazy("subject"), lambda m: m.subject),
    Column(gettext_lazy("status"), lambda m: m.status),
    Column(gettext_lazy("attempts"), lambda m: m.attempts),
    Column(gettext_lazy("next attempt"), lambda m: m.next_attempt_at),
    Column(gettext_lazy("last error"), lambda m: m.last_error),
]


@login_required
def mail_list(request):
    qs = OutboundMail.objects.select_related("recipient")
    return list_page(request, MailFilter(request.GET, user=request.user), qs, sorts=MAIL_SORTS, default="-created",
                     columns=MAIL_COLUMNS, export_name="mail", template="watch/mail")
