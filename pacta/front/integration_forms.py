"""The forms of "open to other systems": the event log's filter, API tokens, webhooks.

The event filter serves the web page and the API alike (pacta.api), so both
narrow the event log the same way.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacta.core.actions.api import allowed_scopes
from pacta.core.commitments.base import EVENT_KINDS
from pacta.core.models import ApiScope, Event, WebhookSubscription

from .filters import FilterForm, search_field
from .forms import Form, ModelForm, date_widget

KIND_LABELS = dict(Event.Kind.choices)


class EventFilter(FilterForm):
    """The event log: `q` searches id, reference and product; `party` is a party's code;
    `since`/`until` are days (both included, in the server's time zone)."""

    q = search_field(_("Search"), _("Id, reference or product."))
    kind = forms.ChoiceField(label=_("kind"), required=False)
    party = forms.CharField(label=_("party"), required=False, help_text=_("The party's code."))
    source = forms.CharField(label=_("source"), required=False)
    since = forms.DateField(label=_("from"), required=False, widget=date_widget())
    until = forms.DateField(label=_("to"), required=False, widget=date_widget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("all")), *((k, KIND_LABELS.get(k, k)) for k in EVENT_KINDS)]

    def apply(self, qs: QuerySet[Event]) -> QuerySet[Event]:
        v = self.values()
        for word in (v.get("q") or "").split():
            qs = qs.filter(Q(external_id__icontains=word) | Q(ref__icontains=word) | Q(product__icontains=word))
        if v.get("kind"):
            qs = qs.filter(kind=v["kind"])
        if v.get("party"):
            qs = qs.filter(party__code__iexact=v["party"].strip())
        if v.get("source"):
            qs = qs.filter(source=v["source"].strip())
        tz = timezone.get_current_timezone()
        if v.get("since"):
            qs = qs.filter(at__gte=dt.datetime.combine(v["since"], dt.time(0), tz))
        if v.get("until"):
            qs = qs.filter(at__lt=dt.datetime.combine(v["until"] + dt.timedelta(days=1), dt.time(0), tz))
        return qs


class TokenForm(Form):
    name = forms.CharField(label=_("name"), max_length=100, help_text=_("What uses it, e.g. the ERP's nightly export."))
    scopes = forms.MultipleChoiceField(label=_("scopes"), widget=forms.CheckboxSelectMultiple,
                                       choices=ApiScope.choices)
    rate_limit = forms.IntegerField(label=_("requests per minute"), required=False, min_value=1, max_value=100_000,
                                    help_text=_("Empty: the installation's default."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = allowed_scopes(user)
        self.fields["scopes"].choices = [c for c in ApiScope.choices if c[0] in allowed]
        self.fields["scopes"].initial = [ApiScope.READ]


class WebhookForm(ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("pacta posts JSON here, signed with the webhook's secret (docs/api.md, Webhooks)."))

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "on_deviations", "on_actions", "is_active"]
        help_texts = {
            "on_deviations": _("When an instance or commitment goes into or out of at risk, overdue, broken or kept late."),
            "on_actions": _("When an action is opened, changed or resolved."),
        }

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter an http:// or https:// address."))
        return url
