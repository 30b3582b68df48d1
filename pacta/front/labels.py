"""Words the web interface shows for stored codes: statuses, money, audit actions.

One word per state everywhere (DESIGN.md): every page takes a status's word
and colour from here, through the `status` template tag.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pacta.core.models import Agreement, Commitment, Instance

# Instance, commitment, health and agreement states share one vocabulary: the
# same code always reads as the same word.
STATUS_WORDS = {
    **dict(Instance.Status.choices),
    **dict(Commitment.Status.choices),
    **dict(Instance.Health.choices),
    **dict(Agreement.Status.choices),
    "not_evaluated": _("not evaluated yet"),
    "removed": _("removed"),
}

MONEY_KINDS = {
    "penalty": _("penalty"),
    "rebate": _("rebate"),
    "interest": _("interest"),
    "fee": _("fee"),
    "price_correction": _("price correction"),
    "shortfall": _("shortfall"),
    "overcharge": _("overcharge"),
    "service_credit": _("service credit"),
}

MONEY_STATES = {
    "accrued": _("accrued"),
    "projected": _("projected"),
    "due": _("due"),
    "paid": _("paid"),
}

PAYERS = {"us": _("we pay"), "them": _("they pay")}

AUDIT_ACTIONS = {
    "create_party": _("created the party"),
    "change_party": _("changed the party"),
    "add_contact": _("added a contact"),
    "change_contact": _("changed a contact"),
    "delete_contact": _("deleted a contact"),
    "create_agreement": _("created the agreement"),
    "change_agreement": _("changed the agreement"),
    "amend_agreement": _("amended the agreement"),
    "add_commitment": _("added a commitment"),
    "change_commitment": _("changed a commitment"),
    "remove_commitment": _("removed a commitment"),
    "change_glossary": _("changed the glossary"),
    "add_note": _("added a negotiation note"),
    "add_attachment": _("attached a file"),
    "remove_attachment": _("removed an attachment"),
    "waive_instance": _("recorded a waiver"),
    "record_pause": _("recorded a pause"),
    "import_events": _("imported events"),
    "create_column_mapping": _("created a column mapping"),
    "change_column_mapping": _("changed a column mapping"),
    "delete_column_mapping": _("deleted a column mapping"),
    "open_action": _("opened an action"),
    "change_action": _("changed an action"),
    "resolve_action": _("resolved an action"),
    "record_absence": _("recorded an absence"),
    "delete_absence": _("deleted an absence"),
    "create_calendar_token": _("created a calendar feed"),
    "revoke_calendar_token": _("revoked a calendar feed"),
    "create_intake": _("created an intake"),
    "change_intake": _("changed an intake"),
    "submit_intake": _("submitted an intake for decision"),
    "decide_intake": _("decided on an intake"),
    "accept_intake": _("accepted an intake"),
    "decline_intake": _("declined an intake"),
    "counter_intake": _("made a counter-offer"),
    "accept_counter_offer": _("recorded the acceptance of a counter-offer"),
    "compose_update": _("composed a status update"),
    "recompose_update": _("refreshed a status update"),
    "change_update": _("changed a status update"),
    "discard_update": _("discarded a status update"),
    "send_update": _("sent a status update"),
    "record_check_in": _("recorded a check-in"),
    "create_product": _("added a product"),
    "change_product": _("changed a product"),
    "link_coverage": _("linked a supplier promise"),
    "unlink_coverage": _("unlinked a supplier promise"),
    "run_top_audit": _("ran the top-customers audit"),
    "open_audit_actions": _("opened actions for audit gaps"),
    "create_api_token": _("created an API token"),
    "revoke_api_token": _("revoked an API token"),
    "create_webhook": _("created a webhook"),
    "change_webhook": _("changed a webhook"),
    "delete_webhook": _("deleted a webhook"),
    "rotate_webhook_secret": _("replaced a webhook's secret"),
}


def status_word(code: str) -> str:
    return str(STATUS_WORDS.get(code, code.replace("_", " ") if code else ""))


def audit_action(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code.replace("_", " ")))
