"""Forms of the review pages: coverage filters and links, the top-customers audit, profitability."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from pacta.core.models import Party
from pacta.core.review import title_now


class CoverageFilter(forms.Form):
    customer = forms.ModelChoiceField(Party.objects.filter(is_customer=True), required=False, label=_("Customer"),
                                      to_field_name="code", empty_label=_("every customer"))
    supplier = forms.ModelChoiceField(Party.objects.filter(is_supplier=True), required=False, label=_("Supplier"),
                                      to_field_name="code", empty_label=_("every supplier"))
    gaps = forms.BooleanField(required=False, label=_("Only promises with a gap"))
    ended = forms.BooleanField(required=False, label=_("Also ended agreements"))

    def options(self) -> dict:
        """The arguments of `pacta.core.coverage.coverage` (the defaults when the filters are invalid)."""
        data = self.cleaned_data if self.is_valid() else {}
        customer, supplier = data.get("customer"), data.get("supplier")
        return {"customers": [customer.code] if customer else None, "suppliers": [supplier.code] if supplier else None,
                "only_gaps": bool(data.get("gaps")), "include_ended": bool(data.get("ended"))}


def promise_label(commitment, suggested: bool) -> str:
    text = f"{commitment.agreement.party.name} — {commitment.agreement.reference}/{commitment.key}: " \
           f"{title_now(commitment)}"
    return f"{text} ({_('suggested')})" if suggested else text


class CoverageLinkForm(forms.Form):
    """Choose the supplier promise that covers a customer promise (suggested ones first)."""

    supplier_commitment = forms.TypedChoiceField(coerce=int, label=_("Supplier's promise"))
    note = forms.CharField(required=False, label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Where the back-to-back terms are written down, who agreed them."))

    def __init__(self, *args, choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.promises = {c.pk: c for c, _suggested in choices}
        self.fields["supplier_commitment"].choices = [(c.pk, promise_label(c, s)) for c, s in choices]

    def clean_supplier_commitment(self):
        return self.promises[self.cleaned_data["supplier_commitment"]]


class PeriodForm(forms.Form):
    """A period under review (both days included) and the moment it is judged as of."""

    start = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Empty: a year before the end."))
    end = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=_("Empty: the day judged as of."))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end must not be before the start."))
        return data

    def period(self) -> tuple[dt.date | None, dt.date | None]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("start"), data.get("end")


class AuditForm(PeriodForm):
    top = forms.IntegerField(min_value=1, max_value=100, initial=10, label=_("Number of customers"))
    open_actions = forms.BooleanField(required=False, label=_("Open an action for each gap"),
                                      help_text=_("On the promise, for the person who executes it; never twice."))

    field_order = ["top", "start", "end", "open_actions"]
