"""Template tags of "watch and act": a dashboard number's link, an action's
badge, due dates and moments told relative to the domain clock (which may be
set to the demo's "as of" moment).

Load with `{% load pacta_watch %}`.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from pacta.core.models import Action, OutboundMail
from pacta.front import formatting
from pacta.front.labels import MONEY_KINDS, PAYERS, status_word
from pacta.lib import clock

register = template.Library()

# The list page behind each kind of dashboard figure (pacta.core.dashboard.Figure.list).
LIST_URLS = {
    "commitments": "front:commitments",
    "instances": "front:instances",
    "actions": "front:actions",
    "mail": "front:mail",
}

# An action's state in the colours of the commitments' states: still to do is
# "open", done is "kept", dismissed is grey like "waived". The word is the action's own.
ACTION_COLOURS = {
    Action.Status.OPEN: "open",
    Action.Status.IN_PROGRESS: "open",
    Action.Status.DONE: "kept",
    Action.Status.DISMISSED: "waived",
}


@register.filter
def figure_url(figure) -> str:
    """The list behind a dashboard number, narrowed by the figure's parameters."""
    url = reverse(LIST_URLS[figure.list])
    return f"{url}?{urlencode(sorted(figure.params.items()))}" if figure.params else url


@register.inclusion_tag("front/includes/status.html")
def action_status(code: str, label: str = ""):
    return {"code": ACTION_COLOURS.get(code, "open"), "word": Action.Status(code).label, "label": label}


@register.inclusion_tag("front/includes/status.html")
def mail_status(mail: OutboundMail):
    """A mail with a problem: failed for good (red), or waiting for another try (amber)."""
    failed = mail.status == OutboundMail.Status.FAILED
    return {"code": "broken" if failed else "at_risk", "word": mail.get_status_display()}


@register.filter
def is_overdue(action: Action) -> bool:
    return action.is_open and action.due_on < clock.local_today()


@register.simple_tag
def due(action: Action):
    """An action's due date with "in 3 days" counted from the domain's today, and "overdue" when it is."""
    today = clock.local_today()
    text = format_html('<time datetime="{}">{}</time> <span class="rel">({})</span>', action.due_on.isoformat(),
                       formats.date_format(action.due_on, "DATE_FORMAT"),
                       formatting.relative_day(action.due_on, today))
    if action.is_open and action.due_on < today:
        return format_html('{} <span class="status status-overdue">{}</span>', text, status_word("overdue"))
    return text


@register.simple_tag
def moment(value: dt.datetime | None, relative: bool = True):
    """A moment of the domain (found, opened, closed) with its distance from the domain's now."""
    if value is None:
        return "—"
    text = format_html('<time datetime="{}">{}</time>', value.isoformat(),
                       formats.date_format(timezone.localtime(value), "DATETIME_FORMAT"))
    if not relative:
        return text
    return format_html('{} <span class="rel">({})</span>', text, formatting.relative_moment(value, clock.now()))


@register.simple_tag
def open_actions_of(commitment) -> dict[str, Action]:
    """The open actions of a commitment's instances, by instance (one query for the whole table)."""
    rows = commitment.actions.filter(status__in=Action.OPEN_STATUSES).exclude(instance_key="")
    return {a.instance_key: a for a in rows}


@register.filter
def lookup(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def money_kind(code: str) -> str:
    return str(MONEY_KINDS.get(code, code))


@register.filter
def payer(code: str) -> str:
    return str(PAYERS.get(code, code))


def _evidence_moment(text: str) -> str:
    """An ISO date or timestamp of a deviation's evidence, for people."""
    if len(text) == 10:
        return formats.date_format(dt.date.fromisoformat(text), "DATE_FORMAT")
    moment = dt.datetime.fromisoformat(text)
    return formats.date_format(timezone.localtime(moment) if timezone.is_aware(moment) else moment, "DATETIME_FORMAT")


@register.simple_tag
def evidence(deviation) -> list[tuple[str, str]]:
    """A deviation's evidence as (label, value) rows: due, done and days late of an
    instance; the count of instances per state of a commitment."""
    facts = deviation.evidence or {}
    rows = [(label, _evidence_moment(facts[name])) for name, label in (("due", _("due")), ("done", _("done")))
            if facts.get(name)]
    if facts.get("days_late") is not None:
        rows.append((_("days late"), formatting.number(facts["days_late"])))
    counts = {code: n for code, n in (facts.get("counts") or {}).items() if n}
    if counts:
        rows.append((_("instances"), ", ".join(f"{status_word(code)}: {formatting.number(n)}"
                                               for code, n in counts.items())))
    return rows
