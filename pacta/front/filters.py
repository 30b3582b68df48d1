"""The search and filter boxes of the list pages: a form each, and how it narrows a queryset."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacta.core.commitments import REGISTRY
from pacta.core.dashboard import money_at_stake
from pacta.core.models import Agreement, Commitment, CommitmentTerms, Party
from pacta.core.routing import responsible_q

from .forms import Form, date_widget

ROLE_CHOICES = [("", _("all")), ("customer", _("customers")), ("supplier", _("suppliers"))]


def current_title():
    """The title of a commitment's latest terms, as a subquery (for lists, sorting and search)."""
    return Subquery(
        CommitmentTerms.objects.filter(commitment=OuterRef("pk")).order_by("-version__number").values("title")[:1]
    )


def _words(q: str) -> list[str]:
    return [w for w in (q or "").split() if w]


def search_q(q: str, fields: tuple[str, ...]) -> Q:
    """Every word must match one of the fields."""
    query = Q()
    for word in _words(q):
        one = Q()
        for name in fields:
            one |= Q(**{f"{name}__icontains": word})
        query &= one
    return query


def type_choices() -> list[tuple[str, str]]:
    return sorted(((name, str(t.label)) for name, t in REGISTRY.items()), key=lambda c: c[1])


def search_field(label, help_text="") -> forms.CharField:
    return forms.CharField(label=label, required=False, help_text=help_text,
                           widget=forms.TextInput(attrs={"type": "search"}))


class FilterForm(Form):
    """A GET form; `apply` narrows the queryset by what is valid and set."""

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data else None, **kwargs)

    def values(self) -> dict:
        """The filters that are set and valid (an invalid one is ignored, and says why)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data


class PartyFilter(FilterForm):
    q = search_field(_("Search"))
    role = forms.ChoiceField(label=_("role"), required=False, choices=ROLE_CHOICES)
    country = forms.ChoiceField(label=_("country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = Party.objects.exclude(country="").order_by("country").values_list("country", flat=True).distinct()
        self.fields["country"].choices = [("", _("all"))] + [(c, c) for c in countries]

    def apply(self, qs: QuerySet) -> QuerySet:
        v = self.values()
        qs = qs.filter(search_q(v.get("q"), ("code", "name", "city")))
        if v.get("role") == "customer":
            qs = qs.filter(is_customer=True)
        elif v.get("role") == "supplier":
            qs = qs.filter(is_supplier=True)
        if v.get("country"):
            qs = qs.filter(country=v["country"])
        return qs


class AgreementFilter(FilterForm):
    q = search_field(_("Search"), _("Reference, title or party."))
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all")), *Agreement.Status.choices])
    role = forms.ChoiceField(label=_("role"), required=False, choices=[("", _("all")), *Agreement.Role.choices])
    party = forms.CharField(label=_("party"), required=False, help_text=_("The party's code."))

    def apply(self, qs: QuerySet) -> QuerySet:
        v = self.values()
        qs = qs.filter(search_q(v.get("q"), ("reference", "title", "party__name", "party__code")))
        for name in ("status", "role"):
            if v.get(name):
                qs = qs.filter(**{name: v[name]})
        if v.get("party"):
            qs = qs.filter(party__code__iexact=v["party"].strip())
        return qs


class CommitmentFilter(FilterForm):
    """The commitments list. Its parameters are the dashboard's vocabulary
    (pacta.core.dashboard): `owner` is a username ("none": nobody) and means
    the person who answers for the commitment; `money`, `currency` and
    `payer` narrow to the commitments with that money at stake."""

    q = search_field(_("Search"), _("Id or words of the title."))
    type = forms.ChoiceField(label=_("type"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all")), *Commitment.Status.choices])
    evaluated = forms.ChoiceField(label=_("evaluated"), required=False,
                                  choices=[("", _("all")), ("yes", _("yes")), ("no", _("not yet"))])
    owner = forms.ChoiceField(label=_("answered for by"), required=False)
    party = forms.CharField(label=_("party"), required=False, help_text=_("The party's code."))
    role = forms.ChoiceField(label=_("role"), required=False, choices=ROLE_CHOICES)
    removed = forms.BooleanField(label=_("include removed"), required=False)
    money = forms.CharField(required=False, widget=forms.HiddenInput)
    currency = forms.CharField(required=False, widget=forms.HiddenInput)
    payer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("all")), *type_choices()]
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["owner"].choices = [("", _("anybody")), ("none", _("nobody")),
                                        *((u.get_username(), str(u)) for u in users)]

    def apply(self, qs: QuerySet) -> QuerySet:
        v = self.values()
        qs = qs.filter(search_q(v.get("q"), ("key", "title_now")))
        if v.get("type"):
            qs = qs.filter(type=v["type"])
        if v.get("status"):
            qs = qs.filter(status=v["status"])
        if v.get("evaluated"):
            qs = qs.filter(evaluated_at__isnull=v["evaluated"] == "no")
        if v.get("owner") == "none":
            qs = qs.filter(owner__isnull=True, agreement__owner__isnull=True, agreement__party__spoc__isnull=True)
        elif v.get("owner"):
            qs = qs.filter(responsible_q(get_user_model().objects.get(username=v["owner"])))
        if v.get("party"):
            qs = qs.filter(agreement__party__code__iexact=v["party"].strip())
        if v.get("role"):
            qs = qs.filter(agreement__role=v["role"])
        if not v.get("removed"):
            qs = qs.filter(removed_in__isnull=True)
        if v.get("money"):
            qs = qs.filter(pk__in=self._with_money(qs, v["money"], v.get("currency"), v.get("payer")))
        return qs

    @staticmethod
    def _with_money(qs: QuerySet, kind: str, currency: str, payer: str) -> set[int]:
        """The commitments with unpaid money of this kind (and currency and payer) at stake, as the dashboard adds it up."""
        ids: set[int] = set()
        for line in money_at_stake(qs):
            if line["kind"] == kind and (not currency or line["currency"] == currency) \
                    and (not payer or line["payer"] == payer):
                ids |= line["commitments"]
        return ids


class AuditFilter(FilterForm):
    user = forms.ModelChoiceField(label=_("who"), required=False, queryset=None, empty_label=_("anybody"))
    q = search_field(_("object"), _("Words of the object's name."))
    since = forms.DateField(label=_("from"), required=False, widget=date_widget())
    until = forms.DateField(label=_("to"), required=False, widget=date_widget())
    # Set by the links on an object's page.
    party = forms.CharField(required=False, widget=forms.HiddenInput)
    agreement = forms.CharField(required=False, widget=forms.HiddenInput)
    object_type = forms.CharField(required=False, widget=forms.HiddenInput)
    object_id = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.order_by("username")

    def apply(self, qs: QuerySet) -> QuerySet:
        v = self.values()
        if v.get("user"):
            qs = qs.filter(user=v["user"])
        qs = qs.filter(search_q(v.get("q"), ("object_repr",)))
        tz = timezone.get_current_timezone()
        if v.get("since"):
            qs = qs.filter(at__gte=dt.datetime.combine(v["since"], dt.time(0), tz))
        if v.get("until"):
            qs = qs.filter(at__lt=dt.datetime.combine(v["until"] + dt.timedelta(days=1), dt.time(0), tz))
        if v.get("party"):
            qs = qs.filter(party__code=v["party"])
        if v.get("agreement"):
            qs = qs.filter(agreement__reference=v["agreement"])
        if v.get("object_type") and v.get("object_id"):
            qs = qs.filter(object_type=v["object_type"], object_id=v["object_id"])
        return qs

    def scope(self) -> str:
        """What the hidden filters narrow to, for the page's heading."""
        v = self.values()
        return v.get("agreement") or v.get("party") or ""
