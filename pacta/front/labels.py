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
    "waive_instance": _("recorded a waiver"),
    "record_pause": _("recorded a pause"),
}


def status_word(code: str) -> str:
    return str(STATUS_WORDS.get(code, code.replace("_", " ") if code else ""))


def audit_action(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code.replace("_", " ")))
