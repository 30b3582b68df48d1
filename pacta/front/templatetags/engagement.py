"""Template tags of intakes and status updates: their state badges.

Load with `{% load engagement %}`. The badges use the one status badge of the
web interface (`front/includes/status.html`): a word and the colour of the
register state that reads alike (awaiting a decision looks like "at risk").
"""

from __future__ import annotations

from django import template

from pacta.core.models import Intake, StatusUpdate

register = template.Library()

INTAKE_COLOURS = {
    Intake.Status.CLARIFYING: "open",
    Intake.Status.AWAITING_DECISION: "at_risk",
    Intake.Status.ACCEPTED: "kept",
    Intake.Status.DECLINED: "waived",
    Intake.Status.COUNTERED: "open",
}
UPDATE_COLOURS = {StatusUpdate.Status.DRAFT: "draft", StatusUpdate.Status.SENT: "kept"}


@register.inclusion_tag("front/includes/status.html")
def intake_state(intake: Intake, label: str = ""):
    return {"code": INTAKE_COLOURS.get(intake.status, "open"), "word": intake.get_status_display(), "label": label}


@register.inclusion_tag("front/includes/status.html")
def update_state(update: StatusUpdate, label: str = ""):
    return {"code": UPDATE_COLOURS.get(update.status, "draft"), "word": update.get_status_display(), "label": label}
