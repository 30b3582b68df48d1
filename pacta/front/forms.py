"""The register's forms. They read and check what people type; the writes are
the `do_*` functions of `pacta.core.actions.register`, called by the views.

Every edit form carries the `revision` the person read (optimistic
concurrency): the write is refused when somebody saved in between.
The parameter forms of commitment types are generated: `params_forms`.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pacta.core.actions.register import CommitmentData, VersionInfo
from pacta.core.models import AgreementVersion, Contact, Direction, Party
from pacta.core.models import Agreement as AgreementModel


class Renderer(DjangoTemplates):
    """Fields rendered with pacta's field template: label, input, error, help."""

    field_template_name = "front/includes/field.html"


# One renderer for all forms: a renderer keeps its compiled templates, so a new one per form
# would read and compile them again on every page (3 to 4 ms per input).
RENDERER = Renderer()


class FormMixin:
    default_renderer = RENDERER
    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            # Labels reuse the models' lower-case verbose names; a label starts a sentence.
            f.label = capfirst(f.label)


class Form(FormMixin, forms.Form):
    pass


class ModelForm(FormMixin, forms.ModelForm):
    pass


def date_widget() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def time_widget() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def moment_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class UserChoiceField(forms.ModelChoiceField):
    """Active users, by name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", "—")
        super().__init__(queryset=get_user_model().objects.filter(is_active=True).order_by("username"), **kwargs)

    def label_from_instance(self, obj):
        return str(obj)


def wide_input() -> forms.TextInput:
    """A text input that takes the form's whole width (a title, a sentence)."""
    return forms.TextInput(attrs={"class": "wide"})


def revision_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RevisionMixin:
    """The hidden revision of the object the person read."""

    def refresh_revision(self, revision: int) -> None:
        """After a conflict: keep what was typed, but carry the revision now stored,
        so that saving again is a deliberate choice over the other person's change."""
        self.data = self.data.copy()
        self.data[self.add_prefix("revision")] = str(revision)


def _clean_code(value: str) -> str:
    return (value or "").strip().upper()


# ---------------------------------------------------------------------------
# parties


class PartyForm(RevisionMixin, ModelForm):
    revision = revision_field()
    language = forms.ChoiceField(
        label=_("language"), required=False, choices=[("", "—"), *settings.LANGUAGES],
        help_text=Party._meta.get_field("language").help_text,
    )
    timezone = forms.ChoiceField(label=_("time zone"), required=False, choices=[])
    spoc = UserChoiceField(label=_("single point of contact"))
    deputy = UserChoiceField(label=_("deputy"))

    class Meta:
        model = Party
        fields = ["code", "name", "is_customer", "is_supplier", "country", "language", "timezone",
                  "address", "postal_code", "city", "phone", "spoc", "deputy", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "country": forms.TextInput(attrs={"size": 3}),
                   "name": wide_input(), "address": wide_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [("", "—"), *timezone_choices()]
        if self.instance.pk is None:
            del self.fields["revision"]
        else:
            self.fields["revision"].initial = self.instance.revision

    def clean_country(self):
        return _clean_code(self.cleaned_data["country"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_customer") and not cleaned.get("is_supplier"):
            self.add_error("is_customer", _("A party is a customer, a supplier or both."))
        return cleaned

    def fields_for_register(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactForm(ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "receives_updates"]


# ---------------------------------------------------------------------------
# agreements


class AgreementForm(RevisionMixin, ModelForm):
    """Create (with the party) or edit an agreement's header. Status changes have their own confirmation."""

    revision = revision_field()
    timezone = forms.ChoiceField(label=_("time zone"), choices=[])
    owner = UserChoiceField(label=_("owner"), help_text=AgreementModel._meta.get_field("owner").help_text)
    deputy = UserChoiceField(label=_("deputy"))

    class Meta:
        model = AgreementModel
        fields = ["reference", "party", "title", "role", "currency", "timezone", "country",
                  "valid_from", "valid_to", "description", "owner", "deputy"]
        widgets = {
            "valid_from": date_widget(), "valid_to": date_widget(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"size": 4}), "country": forms.TextInput(attrs={"size": 3}),
            "title": wide_input(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
        self.fields["party"].queryset = Party.objects.order_by("name")
        if self.instance.pk is None:
            del self.fields["revision"]
        else:
            del self.fields["party"]  # an agreement stays with its party
            self.fields["revision"].initial = self.instance.revision

    def clean_currency(self):
        return _clean_code(self.cleaned_data["currency"])

    def clean_country(self):
        return _clean_code(self.cleaned_data["country"])

    def fields_for_register(self) -> dict:
        """The header fields for `do_create_agreement` / `do_update_agreement`."""
        skip = {"party", "valid_from"} if self.instance.pk is None else set()
        return {n: self.cleaned_data[n] for n in self.Meta.fields if n in self.fields and n not in skip}


class AmendmentForm(Form):
    """What an amendment records. Empty "what changed" means no amendment is given."""

    effective_from = forms.DateField(label=_("effective from"), required=False, widget=date_widget())
    summary = forms.CharField(label=_("what changed"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    agreed_by = forms.CharField(label=_("agreed by"), required=False, max_length=200,
                                help_text=_("Who on the other side agreed."))
    agreed_how = forms.ChoiceField(label=_("agreed how"), choices=AgreementVersion.How.choices,
                                   initial=AgreementVersion.How.EMAIL)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "a")
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("summary") or "").strip() and not cleaned.get("effective_from") \
                and "effective_from" not in self.errors:
            self.add_error("effective_from", _("Say from when the amendment takes effect."))
        return cleaned

    def version_info(self) -> VersionInfo | None:
        if not self.is_valid() or not self.cleaned_data["summary"].strip():
            return None
        return VersionInfo(**self.cleaned_data)


class NoteForm(Form):
    date = forms.DateField(label=_("date"), widget=date_widget())
    participants = forms.CharField(label=_("participants"), required=False, max_length=300, widget=wide_input())
    text = forms.CharField(label=_("what was said"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class GlossaryRowForm(Form):
    term = forms.CharField(label=_("term"), required=False, max_length=100)
    definition = forms.CharField(label=_("definition"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BaseGlossaryFormSet(forms.BaseFormSet):
    renderer = RENDERER

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The rows sit under column headers; each input still says what it is.
        for name, label in (("term", _("Term, row %(n)s")), ("definition", _("Definition, row %(n)s"))):
            form.fields[name].widget.attrs["aria-label"] = label % {"n": i + 1}
        return form

    def glossary(self) -> dict[str, str]:
        """The terms typed, in order; rows left empty are dropped."""
        out = {}
        for form in self.forms:
            term = (form.cleaned_data.get("term") or "").strip()
            definition = (form.cleaned_data.get("definition") or "").strip()
            if term or definition:
                out[term] = definition
        return out


GlossaryFormSet = forms.formset_factory(GlossaryRowForm, formset=BaseGlossaryFormSet, extra=1)


class RevisionForm(RevisionMixin, Form):
    """A confirmation that carries only the revision read (status changes, removals)."""

    revision = revision_field()


# ---------------------------------------------------------------------------
# commitments


class OperationsForm(RevisionMixin, Form):
    """Who executes and registers a commitment, how it reaches the work process, what it costs."""

    revision = revision_field()
    direction = forms.ChoiceField(label=_("direction"), required=False, choices=[("", "—"), *Direction.choices])
    owner = UserChoiceField(label=_("executed by"))
    registrar = UserChoiceField(label=_("registered by"))
    how = forms.CharField(label=_("how it reaches the work process"), required=False, max_length=300,
                          widget=wide_input(), help_text=_('For example "on the route sheet" or "checklist in the order screen".'))
    cost_amount = forms.DecimalField(label=_("cost per occurrence"), required=False, max_digits=14, decimal_places=2,
                                     localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    cost_hours = forms.DecimalField(label=_("hours per occurrence"), required=False, max_digits=8, decimal_places=2,
                                    localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    OPERATIONS = ("direction", "owner", "registrar", "how", "cost_amount", "cost_hours")

    def operations(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.OPERATIONS}


class CommitmentForm(OperationsForm):
    """The common fields of a commitment; its parameters are the type's generated form.

    `revision` is the agreement's: a commitment's terms are part of its agreement.
    """

    key = forms.CharField(
        label=_("id"), max_length=64, help_text=_("Unique within the agreement, e.g. call-ahead."),
        validators=[RegexValidator(r"^[^/\s]+$", _("Use letters, digits and dashes; no spaces or slashes."))],
    )
    title = forms.CharField(label=_("title"), max_length=300, help_text=_("The promise in plain words."),
                            widget=wide_input())
    products = forms.CharField(label=_("products"), required=False, widget=wide_input(),
                               help_text=_("Product codes separated by commas; empty means all products."))
    valid_from = forms.DateField(label=_("valid from"), required=False, widget=date_widget(),
                                 help_text=_("Empty: from the agreement's start."))
    valid_to = forms.DateField(label=_("valid to"), required=False, widget=date_widget(),
                               help_text=_("Empty: until the agreement's end."))

    field_order = ["key", "title", "products", "valid_from", "valid_to", "direction", "owner", "registrar",
                   "how", "cost_amount", "cost_hours"]

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # The id names the commitment; a new id would be a new commitment.
            self.fields["key"].disabled = True

    def clean_products(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["products"].split(",") if p.strip()]

    def commitment_data(self, type_name: str, params: dict) -> CommitmentData:
        c = self.cleaned_data
        return CommitmentData(
            key=c["key"], type=type_name, title=c["title"], params=params, products=c["products"],
            valid_from=c["valid_from"], valid_to=c["valid_to"], **self.operations(),
        )


class WaiverForm(Form):
    granted_by = forms.CharField(label=_("released by"), max_length=200,
                                 help_text=_("Who on the other side released it."))
    reason = forms.CharField(label=_("why"), widget=forms.Textarea(attrs={"rows": 3}))
    at = forms.DateTimeField(label=_("when"), widget=moment_widget(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)
