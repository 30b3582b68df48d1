"""Forms of intakes, status updates and check-ins. They read what people type;
the writes are the do_* functions of `pacta.core.actions.engagement`."""

from __future__ import annotations

import datetime as dt

import yaml
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pacta.core.actions.engagement import DraftTerms
from pacta.core.intake import Decision
from pacta.core.models import Agreement, CheckIn, Direction, Intake, Party, StatusUpdate
from pacta.front.filters import FilterForm, search_field, type_choices
from pacta.front.forms import (
    Form,
    ModelForm,
    Renderer,
    RevisionMixin,
    UserChoiceField,
    date_widget,
    revision_field,
    wide_input,
)


def _rows(n: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class PlainLines:
    """Text as typed, with the browser's CRLF line ends stored as LF (as composed text is):
    a save that changes nothing records no change."""

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = value.replace("\r\n", "\n")
        return cleaned


# ---------------------------------------------------------------------------
# Intakes


class IntakeForm(PlainLines, RevisionMixin, ModelForm):
    """What an intake says, except its key terms and proposed promises (row formsets)."""

    revision = revision_field()
    owner = UserChoiceField(label=_("owner"))

    # The form's sections, as the page shows them: (legend, help, field names).
    SECTIONS = [
        (_("The request"), _("Who asks, for what, and who on our side answers for the intake."),
         ("title", "party", "prospect_name", "agreement", "owner")),
        (_("In the customer's words"), _("Sketch the problem and the desired situation, not a solution."),
         ("problem", "desired_situation")),
        (_("Goal, purpose and benefit"), _("What should be reached, why, and what it brings the customer."),
         ("goal", "purpose", "benefit")),
        (_("Scope and limits"), _("What is in, what is out, and where the room to move ends."),
         ("scope_in", "scope_out", "limits")),
        (_("Requirements"), _("On quality, efficiency, security and reliability."),
         ("req_quality", "req_efficiency", "req_security", "req_reliability")),
        (_("Value and capacity"), _("What the customer values and pays; what we can deliver and what it takes."),
         ("customer_values", "customer_pays", "capacity", "feasibility", "currency", "expected_revenue",
          "expected_margin")),
    ]

    class Meta:
        model = Intake
        fields = ["title", "party", "prospect_name", "agreement", "owner", "problem", "desired_situation", "goal",
                  "purpose", "benefit", "scope_in", "scope_out", "limits", "req_quality", "req_efficiency",
                  "req_security", "req_reliability", "customer_values", "customer_pays", "capacity", "feasibility",
                  "currency", "expected_revenue", "expected_margin"]
        widgets = {
            "title": wide_input(), "prospect_name": wide_input(), "currency": forms.TextInput(attrs={"size": 4}),
            **{name: _rows() for name in ("problem", "desired_situation", "goal", "purpose", "benefit", "scope_in",
                                          "scope_out", "limits", "req_quality", "req_efficiency", "req_security",
                                          "req_reliability", "customer_values", "customer_pays", "capacity",
                                          "feasibility")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.order_by("name")
        self.fields["party"].required = False
        self.fields["agreement"].queryset = Agreement.objects.select_related("party").order_by("reference")
        self.fields["agreement"].help_text = _("Only for a change of an existing agreement; empty for a new one.")
        for name in ("expected_revenue", "expected_margin"):
            self.fields[name].localize = True
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        if self.instance.pk is None:
            del self.fields["revision"]
        else:
            self.fields["revision"].initial = self.instance.revision

    def sections(self):
        """(legend, help, bound fields) per section, for the template."""
        return [(legend, help_text, [self[name] for name in names]) for legend, help_text, names in self.SECTIONS]

    def fields_for_intake(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class KeyTermForm(PlainLines, Form):
    term = forms.CharField(label=_("term"), required=False, max_length=100)
    definition = forms.CharField(label=_("definition"), required=False, widget=_rows(2))


class PromiseForm(PlainLines, Form):
    """One proposed special promise: a commitment with its parameters as YAML or JSON,
    and what one occurrence costs and how often it occurs a year."""

    key = forms.CharField(label=_("id"), required=False, max_length=64)
    type = forms.ChoiceField(label=_("type"), required=False)
    title = forms.CharField(label=_("title"), required=False, max_length=300)
    params = forms.CharField(label=_("parameters"), required=False, widget=_rows(3),
                             help_text=_("YAML or JSON, e.g. min_before: PT1H"))
    products = forms.CharField(label=_("products"), required=False,
                               help_text=_("Product codes separated by commas; empty means all products."))
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices, initial=Direction.WE_OWE)
    cost = forms.DecimalField(label=_("cost per occurrence"), required=False, min_value=0, localize=True,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
    occurrences = forms.DecimalField(label=_("occurrences per year"), required=False, min_value=0, localize=True,
                                     widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "—"), *type_choices()]

    def clean_params(self) -> dict:
        text = self.cleaned_data["params"].strip()
        if not text:
            return {}
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise forms.ValidationError(_("Not readable as YAML or JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give the parameters as name: value lines."))
        return value

    def clean_products(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["products"].split(",") if p.strip()]

    def is_empty(self) -> bool:
        return not any(self.cleaned_data.get(n) for n in ("key", "type", "title", "params", "products"))

    def promise(self) -> dict:
        c = self.cleaned_data
        return {"key": c["key"], "type": c.get("type", ""), "title": c["title"], "params": c.get("params", {}),
                "products": c["products"], "direction": c["direction"], "cost": c["cost"],
                "occurrences": c["occurrences"]}

    @staticmethod
    def initial_for(promise: dict) -> dict:
        params = promise.get("params") or {}
        return {**promise, "params": yaml.safe_dump(params, sort_keys=False, allow_unicode=True).strip() if params
                else "", "products": ", ".join(promise.get("products") or [])}


class RowFormSet(forms.BaseFormSet):
    renderer = Renderer()
    labels: dict[str, str] = {}

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The rows sit under column headers; each input still says what it is.
        for name, field in form.fields.items():
            field.widget.attrs["aria-label"] = _("%(field)s, row %(n)s") % {"field": field.label, "n": i + 1}
        return form


KeyTermFormSet = forms.formset_factory(KeyTermForm, formset=RowFormSet, extra=1)
PromiseFormSet = forms.formset_factory(PromiseForm, formset=RowFormSet, extra=1)


def key_term_rows(formset) -> list[dict]:
    """Every row as typed, empty ones included (errors name rows by their position)."""
    return [{"term": f.cleaned_data.get("term", ""), "definition": f.cleaned_data.get("definition", "")}
            for f in formset.forms]


def promise_rows(formset) -> tuple[list[dict], list[int]]:
    """The promises typed, without empty rows, and each one's row in the formset."""
    rows, positions = [], []
    for i, form in enumerate(formset.forms):
        if form.is_empty():
            continue
        rows.append(form.promise())
        positions.append(i)
    return rows, positions


class DraftTermsForm(RevisionMixin, Form):
    """Where an accepted intake goes: a new agreement's reference and dates, or an amendment's date."""

    revision = revision_field()
    reference = forms.CharField(label=_("reference of the new agreement"), required=False, max_length=64)
    valid_from = forms.DateField(label=_("valid from"), required=False, widget=date_widget())
    valid_to = forms.DateField(label=_("valid to"), required=False, widget=date_widget())

    def __init__(self, *args, intake: Intake, **kwargs):
        super().__init__(*args, **kwargs)
        agreement = intake.agreement
        if agreement is not None:
            del self.fields["reference"], self.fields["valid_to"]
            if agreement.status == Agreement.Status.DRAFT:
                del self.fields["valid_from"]
            else:
                self.fields["valid_from"].label = _("the change takes effect from")
                self.fields["valid_from"].help_text = _("%(agreement)s is in force: accepting amends it.") % {
                    "agreement": agreement.reference}

    def terms(self) -> DraftTerms:
        c = self.cleaned_data
        return DraftTerms(reference=c.get("reference") or "", valid_from=c.get("valid_from"),
                          valid_to=c.get("valid_to"))


class DecisionForm(PlainLines, DraftTermsForm):
    decision = forms.ChoiceField(label=_("decision"), choices=Decision.CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("reason"), required=False, widget=_rows(2),
                             help_text=_("Required when declining."))
    counter_offer = forms.CharField(label=_("counter-offer"), required=False, widget=_rows(2),
                                    help_text=_("Not this, but we can …: required for a counter-offer."))

    field_order = ["decision", "reason", "counter_offer", "reference", "valid_from", "valid_to"]


class IntakeFilter(FilterForm):
    q = search_field(_("Search"), _("Request, party or prospect."))
    status = forms.ChoiceField(label=_("status"), required=False, choices=[("", _("all")), *Intake.Status.choices])
    owner = UserChoiceField(label=_("owner"), empty_label=_("anybody"))
    waiting = forms.BooleanField(label=_("waiting for a decision for more than a week"), required=False)

    def apply(self, qs, now: dt.datetime):
        from pacta.core.intake import WAITING_TOO_LONG
        from pacta.front.filters import search_q

        v = self.values()
        qs = qs.filter(search_q(v.get("q"), ("title", "party__name", "party__code", "prospect_name")))
        if v.get("status"):
            qs = qs.filter(status=v["status"])
        if v.get("owner"):
            qs = qs.filter(owner=v["owner"])
        if v.get("waiting"):
            qs = qs.filter(status=Intake.Status.AWAITING_DECISION, submitted_at__lt=now - WAITING_TOO_LONG)
        return qs


# ---------------------------------------------------------------------------
# Status updates and check-ins


class StatusUpdateForm(PlainLines, RevisionMixin, ModelForm):
    revision = revision_field()
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = StatusUpdate
        fields = ["subject", "language", "period_start", "period_end", "topics", "kept", "at_risk", "challenges",
                  "open_points", "next_steps"]
        widgets = {"subject": wide_input(), "period_start": date_widget(), "period_end": date_widget(),
                   **{name: _rows(4) for name in ("topics", "kept", "at_risk", "challenges", "open_points",
                                                  "next_steps")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["revision"].initial = self.instance.revision
        self.fields["period_end"].required = True

    def fields_for_update(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UpdateFilter(FilterForm):
    q = search_field(_("Search"), _("Subject or party."))
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all")), *StatusUpdate.Status.choices])

    def apply(self, qs):
        from pacta.front.filters import search_q

        v = self.values()
        qs = qs.filter(search_q(v.get("q"), ("subject", "party__name", "party__code")))
        if v.get("status"):
            qs = qs.filter(status=v["status"])
        return qs


class CheckInForm(PlainLines, ModelForm):
    class Meta:
        model = CheckIn
        fields = ["date", "participants", "went_well", "went_badly", "changes"]
        widgets = {"date": date_widget(), "participants": wide_input(),
                   **{name: _rows(3) for name in ("went_well", "went_badly", "changes")}}


def params_reference() -> list[dict]:
    """Each commitment type's parameters (label, data key, help), for the intake form's reference box."""
    from pacta.core.commitments import REGISTRY
    from pacta.front.params_forms import type_specs

    def flatten(specs, prefix=""):
        for spec in specs:
            yield {"key": prefix + spec.key, "label": spec.label, "help": spec.help}
            if spec.kind == "model":
                yield from flatten(spec.children, prefix + spec.key + ".")
            elif spec.kind == "model_list":
                yield from flatten(spec.children, prefix + spec.key + "[].")

    return [{"name": name, "label": label, "help": REGISTRY[name].help, "params": list(flatten(type_specs(name)))}
            for name, label in type_choices()]

