"""Template tags of the web interface: one status badge, money, numbers,
moments with their relative time, sortable headers, audit changes.

Load with `{% load pacta_ui %}`.
"""

from __future__ import annotations

import datetime as dt
import json

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from pacta.core.commitments import REGISTRY
from pacta.core.permissions import can_change
from pacta.core.routing import responsible_for
from pacta.front import formatting
from pacta.front.labels import MONEY_KINDS, MONEY_STATES, PAYERS, audit_action, status_word

register = template.Library()


@register.inclusion_tag("front/includes/status.html")
def status(code: str, label: str = ""):
    """The one badge of a state: the same colour and word on every page.

    `label` is read before the word by screen readers ("status: kept").
    """
    code = code or "open"
    return {"code": code, "word": status_word(code), "label": label}


@register.filter
def commitment_state(commitment) -> str:
    """A commitment's state for its badge: "removed", "not_evaluated" or its cached status."""
    if getattr(commitment, "removed_in_id", None):
        return "removed"
    if commitment.evaluated_at is None:
        return "not_evaluated"
    return commitment.status


@register.filter
def answered_by(commitment):
    """Who answers for a commitment: its executor, else the agreement's owner, else the party's point of contact."""
    return responsible_for(commitment)


@register.filter
def may_change(user, obj=None) -> bool:
    return can_change(user, obj)


@register.filter
def type_label(type_name: str) -> str:
    ctype = REGISTRY.get(type_name)
    return str(ctype.label) if ctype else type_name


@register.filter
def num(value, decimals=None):
    return formatting.number(value, None if decimals in (None, "") else int(decimals))


@register.simple_tag
def money(amount, currency):
    return formatting.money(amount, currency)


@register.inclusion_tag("front/includes/money_items.html")
def money_items(items):
    """Money of an evaluation (JSON items): kind, amount, who pays, state."""
    rows = []
    for item in items or []:
        rows.append({
            "kind": MONEY_KINDS.get(item.get("kind"), item.get("kind")),
            "amount": formatting.money(item.get("amount"), item.get("currency", "")),
            "payer": PAYERS.get(item.get("payer"), item.get("payer")),
            "state": MONEY_STATES.get(item.get("state"), item.get("state")),
        })
    return {"rows": rows}


@register.simple_tag
def when(value, relative: bool = True):
    """A date or moment in the reader's language, with "in 3 days" beside it."""
    if value in (None, ""):
        return "—"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        text = formats.date_format(local, "DATETIME_FORMAT")
        rel = formatting.relative_moment(value) if relative else ""
    else:
        text = formats.date_format(value, "DATE_FORMAT")
        rel = formatting.relative_day(value) if relative else ""
    if not rel:
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), text)
    return format_html('<time datetime="{}">{}</time> <span class="rel">({})</span>', value.isoformat(), text, rel)


@register.simple_tag
def day(value):
    """A date alone, without a relative time."""
    if value in (None, ""):
        return "—"
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), formats.date_format(value, "DATE_FORMAT"))


@register.inclusion_tag("front/includes/sort_th.html")
def sort_th(listing, name: str, label, css: str = ""):
    return {"label": label, "css": css, **listing.header(name)}


@register.simple_tag
def audit_url(**params) -> str:
    """The audit log narrowed to one object (party=, agreement=, object_type= and object_id=)."""
    return reverse("front:audit") + "?" + urlencode(params)


@register.filter
def action_label(code: str) -> str:
    return audit_action(code)


def _field_label(object_type: str, name: str) -> str:
    try:
        model = apps.get_model("core", object_type)
        return str(model._meta.get_field(name).verbose_name)
    except (LookupError, FieldDoesNotExist):
        return name.replace("_", " ")


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.simple_tag
def audit_changes(entry) -> list[dict[str, str]]:
    """An audit entry's changes as rows: field, and old → new or the detail."""
    rows = []
    for name, value in (entry.changes or {}).items():
        row = {"field": _field_label(entry.object_type, name)}
        if isinstance(value, list) and len(value) == 2:
            row.update(old=_show(value[0]), new=_show(value[1]))
        else:
            row.update(detail=_show(value))
        rows.append(row)
    return rows
