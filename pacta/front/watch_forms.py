"""The forms of "watch and act": the filters of the dashboard and of the lists
behind its numbers (instances, actions, deviations, mail), and the action forms.

The filters take the dashboard's parameter vocabulary (pacta.core.dashboard):
`owner` is a username ("none": nobody), `party` a party's code, `type` a
commitment type, `status` a list's own states, `due_within` days from now.
A dashboard number's link is its list with those parameters, and the list
narrows exactly as the dashboard counted.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from pacta.core.models import Action, Deviation, Instance, OutboundMail, Party, WatchStatus
from pacta.core.outbox import failed_mail, retrying_mail
from pacta.core.routing import actions_for, responsible_q
from pacta.lib import clock

from .filters import FilterForm, search_field, type_choices
from .forms import Form, RevisionMixin, UserChoiceField, date_widget, moment_widget, revision_field, wide_input

NOBODY = "none"


def user_choices(nobody_label) -> list[tuple[str, str]]:
    """Active users by username, after "anybody" and "nobody" (`nobody_label`)."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [("", _("anybody")), (NOBODY, nobody_label), *((u.get_username(), str(u)) for u in users)]


def find_user(username: str):
    return get_user_model().objects.filter(username=username).first()


def responsible(username: str, prefix: str = "") -> Q:
    """The commitments (reached by `prefix`) that `username` answers for; NOBODY: those nobody answers for."""
    if username == NOBODY:
        return Q(**{f"{prefix}owner__isnull": True, f"{prefix}agreement__owner__isnull": True,
                    f"{prefix}agreement__party__spoc__isnull": True})
    user = find_user(username)
    return responsible_q(user, prefix) if user is not None else Q(pk__in=[])


class ScopeFilter(FilterForm):
    """Party and commitment type, reached from the filtered rows by `prefix` (to the commitment)."""

    prefix_to_commitment = "commitment__"

    party = forms.CharField(label=_("party"), required=False, help_text=_("The party's code."))
    type = forms.ChoiceField(label=_("type"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("all")), *type_choices()]

    def scope_q(self) -> Q:
        v, p = self.values(), self.prefix_to_commitment
        q = Q()
        if v.get("party"):
            q &= Q(**{f"{p}agreement__party__code__iexact": v["party"].strip()})
        if v.get("type"):
            q &= Q(**{f"{p}type": v["type"]})
        return q


# ---------------------------------------------------------------------------
# the dashboard


class DashboardFilter(ScopeFilter):
    """Whose commitments (who answers for them), which party, which type."""

    owner = forms.ChoiceField(label=_("answered for by"), required=False)

    field_order = ["owner", "party", "type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [c for c in user_choices("") if c[0] != NOBODY]

    def scope(self) -> dict:
        """The keyword arguments of `dashboard_figures`: owner (a user), party (a Party), type."""
        v = self.values()
        party = Party.objects.filter(code__iexact=(v.get("party") or "").strip()).first() if v.get("party") else None
        if v.get("party") and party is None:
            self.add_error("party", _("No party has this code."))
        return {"owner": find_user(v["owner"]) if v.get("owner") else None, "party": party, "type": v.get("type", "")}


# ---------------------------------------------------------------------------
# instances


INSTANCE_STATES = [("", _("all")), *WatchStatus.choices]


class InstanceFilter(ScopeFilter):
    q = search_field(_("Search"), _("Instance, commitment id or agreement."))
    status = forms.ChoiceField(label=_("status"), required=False, choices=INSTANCE_STATES)
    owner = forms.ChoiceField(label=_("answered for by"), required=False)
    due_within = forms.IntegerField(label=_("due within (days)"), required=False, min_value=0, max_value=3660)

    field_order = ["q", "status", "owner", "party", "type", "due_within"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(_("nobody"))

    def apply(self, qs: QuerySet[Instance]) -> QuerySet[Instance]:
        v = self.values()
        qs = qs.filter(self.scope_q())
        for word in (v.get("q") or "").split():
            qs = qs.filter(Q(key__icontains=word) | Q(commitment__key__icontains=word)
                           | Q(commitment__agreement__reference__icontains=word))
        status = v.get("status")
        if status == WatchStatus.AT_RISK:  # an open instance whose forecast is at risk
            qs = qs.filter(status=Instance.Status.OPEN, health=Instance.Health.AT_RISK)
        elif status:
            qs = qs.filter(status=status)
        if v.get("owner"):
            qs = qs.filter(responsible(v["owner"], "commitment__"))
        if v.get("due_within") is not None:
            now = clock.now()
            qs = qs.filter(due__gte=now, due__lt=now + dt.timedelta(days=v["due_within"]))
        return qs


# ---------------------------------------------------------------------------
# actions


ACTION_STATES = [
    ("open", _("open or in progress")),
    ("overdue", _("overdue")),
    ("in_progress", _("in progress")),
    ("closed", _("closed (done or dismissed)")),
    ("done", _("done")),
    ("dismissed", _("dismissed")),
    ("all", _("all")),
]
CLOSED_STATUSES = (Action.Status.DONE, Action.Status.DISMISSED)


class ActionFilter(ScopeFilter):
    """The actions list. Without a status it shows the open ones (open or in progress).

    `owner` is the action's owner ("none": unassigned); `mine` the signed-in
    person's own actions and those of the away owners they stand in for;
    `deputy` (a username) only the latter, for that person; `answered_by` the
    actions on the commitments a person answers for; `commitment` one
    commitment (reference/id)."""

    q = search_field(_("Search"), _("Title, instance or commitment id."))
    status = forms.ChoiceField(label=_("status"), required=False, choices=ACTION_STATES)
    owner = forms.ChoiceField(label=_("owner"), required=False)
    mine = forms.BooleanField(label=_("mine, and those I stand in for"), required=False)
    due_within = forms.IntegerField(label=_("due within (days)"), required=False, min_value=0, max_value=3660)
    deputy = forms.CharField(required=False, widget=forms.HiddenInput)
    answered_by = forms.CharField(required=False, widget=forms.HiddenInput)
    commitment = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["q", "status", "owner", "mine", "party", "type", "due_within"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].choices = user_choices(_("unassigned"))

    def apply(self, qs: QuerySet[Action]) -> QuerySet[Action]:
        v = self.values()
        today = clock.local_today()
        qs = qs.filter(self.scope_q())
        for word in (v.get("q") or "").split():
            qs = qs.filter(Q(title__icontains=word) | Q(instance_key__icontains=word)
                           | Q(commitment__key__icontains=word))
        qs = self._by_status(qs, v.get("status") or "open", today)
        if v.get("owner") == NOBODY:
            qs = qs.filter(owner__isnull=True)
        elif v.get("owner"):
            qs = qs.filter(owner__username=v["owner"])
        if v.get("mine") and self.user is not None:
            qs = qs.filter(pk__in=actions_for(self.user, today).values("pk"))
        if v.get("deputy"):
            deputy = find_user(v["deputy"])
            qs = qs.filter(pk__in=actions_for(deputy, today).exclude(owner=deputy).values("pk")) \
                if deputy is not None else qs.none()
        if v.get("answered_by"):
            qs = qs.filter(responsible(v["answered_by"], "commitment__"))
        if v.get("commitment"):
            reference, _slash, key = v["commitment"].partition("/")
            qs = qs.filter(commitment__agreement__reference=reference, commitment__key=key)
        if v.get("due_within") is not None:
            qs = qs.filter(due_on__gte=today, due_on__lt=today + dt.timedelta(days=v["due_within"]))
        return qs

    @staticmethod
    def _by_status(qs: QuerySet[Action], status: str, today: dt.date) -> QuerySet[Action]:
        if status == "open":
            return qs.filter(status__in=Action.OPEN_STATUSES)
        if status == "overdue":
            return qs.filter(status__in=Action.OPEN_STATUSES, due_on__lt=today)
        if status == "closed":
            return qs.filter(status__in=CLOSED_STATUSES)
        if status == "all":
            return qs
        return qs.filter(status=status)

    def shows_open(self) -> bool:
        return (self.values().get("status") or "open") in ("open", "overdue", "in_progress")


# ---------------------------------------------------------------------------
# deviations: the alert queue


class DeviationFilter(ScopeFilter):
    q = search_field(_("Search"), _("Instance or commitment id."))
    processed = forms.ChoiceField(label=_("processed"), required=False,
                                  choices=[("", _("all")), ("no", _("not yet (the queue)")), ("yes", _("yes"))])
    new_status = forms.ChoiceField(label=_("became"), required=False, choices=INSTANCE_STATES)
    outcome = forms.ChoiceField(label=_("outcome"), required=False, choices=[("", _("all")), *Deviation.Outcome.choices])

    field_order = ["q", "processed", "new_status", "outcome", "party", "type"]

    def apply(self, qs: QuerySet[Deviation]) -> QuerySet[Deviation]:
        v = self.values()
        qs = qs.filter(self.scope_q())
        for word in (v.get("q") or "").split():
            qs = qs.filter(Q(instance_key__icontains=word) | Q(commitment__key__icontains=word))
        if v.get("processed"):
            qs = qs.filter(processed_at__isnull=v["processed"] == "no")
        for name in ("new_status", "outcome"):
            if v.get(name):
                qs = qs.filter(**{name: v[name]})
        return qs


# ---------------------------------------------------------------------------
# mail with problems


class MailFilter(FilterForm):
    """Mail that failed or waits for a retry. Only managers see other people's mail."""

    status = forms.ChoiceField(label=_("status"), required=False, choices=[
        ("", _("failed or retrying")), ("failed", _("failed")), ("retrying", _("retrying")),
    ])
    recipient = forms.ChoiceField(label=_("recipient"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_manager:
            self.fields["recipient"].choices = [c for c in user_choices("") if c[0] != NOBODY]
        else:
            del self.fields["recipient"]

    def apply(self, qs: QuerySet[OutboundMail]) -> QuerySet[OutboundMail]:
        v = self.values()
        status = v.get("status")
        wanted = failed_mail() if status == "failed" else retrying_mail() if status == "retrying" \
            else failed_mail() | retrying_mail()
        qs = qs.filter(pk__in=wanted.values("pk"))
        if not self.user.is_manager:
            return qs.filter(recipient=self.user)
        if v.get("recipient"):
            qs = qs.filter(recipient__username=v["recipient"])
        return qs


# ---------------------------------------------------------------------------
# working on an action


class OpenActionForm(Form):
    """An action opened by hand on a commitment or one of its instances."""

    instance_key = forms.ChoiceField(label=_("instance"), required=False)
    title = forms.CharField(label=_("title"), max_length=300, required=False, widget=wide_input(),
                            help_text=_("Empty: the promise and the instance."))
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = UserChoiceField(label=_("owner"), empty_label=_("whoever answers for it (or their stand-in)"))
    due_on = forms.DateField(label=_("due"), required=False, widget=date_widget(),
                             help_text=_("Empty: in a week."))

    def __init__(self, *args, commitment, linked: str = "", **kwargs):
        """`linked`: the instance the link came from; the commitment's page may show instances
        evaluated live that the watcher has not stored yet."""
        super().__init__(*args, **kwargs)
        keys = list(commitment.instances.order_by("due", "key").values_list("key", flat=True))
        if linked and linked not in keys:
            keys.insert(0, linked[:128])
        self.fields["instance_key"].choices = [("", _("the commitment as a whole")), *((k, k) for k in keys)]


class ActionForm(RevisionMixin, Form):
    """An open action's title, description, owner, due date, and whether work on it has started."""

    revision = revision_field()
    title = forms.CharField(label=_("title"), max_length=300, widget=wide_input())
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = UserChoiceField(label=_("owner"), empty_label=_("unassigned"))
    due_on = forms.DateField(label=_("due"), widget=date_widget())
    status = forms.ChoiceField(label=_("status"), choices=[
        (Action.Status.OPEN, Action.Status.OPEN.label), (Action.Status.IN_PROGRESS, Action.Status.IN_PROGRESS.label),
    ], widget=forms.RadioSelect)

    FIELDS = ("title", "description", "owner", "due_on", "status")

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class ResolveForm(RevisionMixin, Form):
    """Close an action: done or dismissed, with a note; optionally with the other side's waiver."""

    revision = revision_field()
    status = forms.ChoiceField(label=_("outcome"), initial=Action.Status.DONE, widget=forms.RadioSelect, choices=[
        (Action.Status.DONE, _("done: it is dealt with")),
        (Action.Status.DISMISSED, _("dismissed: nothing to do (say why)")),
    ])
    resolution = forms.CharField(label=_("resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("What was done, or why nothing needs doing."))
    waiver = forms.BooleanField(label=_("the other side released this instance (record a waiver)"), required=False,
                                widget=forms.CheckboxInput(attrs={"data-toggles": "waiver-fields"}))


class ActionWaiverForm(Form):
    """Who on the other side released the action's instance, why and when (prefix "w")."""

    granted_by = forms.CharField(label=_("released by"), max_length=200, required=False,
                                 help_text=_("Who on the other side released it."))
    reason = forms.CharField(label=_("why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    at = forms.DateTimeField(label=_("when"), required=False, widget=moment_widget(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                             help_text=_("Empty: now."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "w")
        super().__init__(*args, **kwargs)
