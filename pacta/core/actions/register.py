"""Writes of the register: parties, contacts, agreements, versions, commitments.

Versioning rule: while an agreement is a draft, its contractual content (the
header's dates, currency, time zone, the glossary and the commitments' terms) is
edited in place in version 1. Once it is in force (or suspended, or ended),
every contractual change is an amendment: a new version with its effective
date, what changed, why, and who agreed how. Operational fields (title,
description, status, owner, deputy; a commitment's executor, registrar, how it
reaches the work process and its cost) change without a new version; the audit
log records them.

Concurrent edits: writers pass the `revision` they read; when somebody else
saved in between, `ConflictError` is raised and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit, diff_fields
from pacta.core.commitments import REGISTRY, FieldError, params_to_data, validate_params
from pacta.core.documents import agreement_doc
from pacta.core.models import (
    Agreement,
    AgreementVersion,
    Commitment,
    CommitmentTerms,
    Contact,
    GlossaryTerm,
    NegotiationNote,
    Party,
    Pause,
    Waiver,
)

PARTY_FIELDS = (
    "code", "name", "is_customer", "is_supplier", "country", "language", "timezone",
    "address", "postal_code", "city", "phone", "spoc", "deputy", "notes",
)
AGREEMENT_CONTRACT_FIELDS = ("role", "currency", "timezone", "country", "valid_from", "valid_to")
AGREEMENT_OPERATIONAL_FIELDS = ("title", "description", "status", "owner", "deputy")
CONTACT_FIELDS = ("name", "title", "email", "phone", "receives_updates")


class ConflictError(Exception):
    """Somebody else saved the same object since it was read."""

    def __init__(self, obj):
        super().__init__(
            _("%(object)s was changed by someone else after you opened it. Reload the page to see their change, then make yours again.")
            % {"object": obj}
        )
        self.obj = obj


class RegisterError(ValueError):
    """A write was refused; `errors` maps a field (dotted path) to translated messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in errors.items()))


@dataclass
class VersionInfo:
    """What an amendment records: when it takes effect, what changed, why, who agreed how."""

    effective_from: dt.date
    summary: str
    reason: str = ""
    agreed_by: str = ""
    agreed_how: str = AgreementVersion.How.EMAIL


@dataclass
class CommitmentData:
    """A commitment as a form, the API or a file gives it (parameters not yet validated)."""

    key: str
    type: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    direction: str = ""
    owner: Any = None
    registrar: Any = None
    how: str = ""
    cost_amount: Decimal | None = None
    cost_hours: Decimal | None = None


# ---------------------------------------------------------------------------
# helpers


def claim_revision(model, obj, expected_revision: int | None) -> None:
    """Bump the object's revision, or raise ConflictError if it moved on since it was read."""
    if expected_revision is None:
        model.objects.filter(pk=obj.pk).update(revision=F("revision") + 1)
    elif model.objects.filter(pk=obj.pk, revision=expected_revision).update(revision=F("revision") + 1) != 1:
        raise ConflictError(obj)
    obj.revision = model.objects.values_list("revision", flat=True).get(pk=obj.pk)


def _validate_commitment(data: CommitmentData, agreement: Agreement) -> dict[str, Any]:
    """Validate a commitment's type and parameters; return the normalised parameters."""
    errors: dict[str, list[str]] = {}
    if not data.key or not data.key.strip():
        errors.setdefault("key", []).append(_("This field is required."))
    if not data.title or not data.title.strip():
        errors.setdefault("title", []).append(_("This field is required."))
    if data.type not in REGISTRY:
        errors.setdefault("type", []).append(_("Unknown commitment type: %(type)s.") % {"type": data.type})
        raise RegisterError(errors)
    params, field_errors = validate_params(data.type, data.params)
    for fe in field_errors:
        errors.setdefault("params." + fe.field if fe.field else "params", []).append(fe.message)
    if REGISTRY[data.type].needs_products and not data.products:
        errors.setdefault("products", []).append(_("This type needs at least one product."))
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors.setdefault("valid_to", []).append(_("The end must not be before the start."))
    if errors:
        raise RegisterError(errors)
    return params_to_data(params)


def _validate_amendment(agreement: Agreement, amendment: VersionInfo) -> None:
    errors: dict[str, list[str]] = {}
    if not amendment.summary or not amendment.summary.strip():
        errors["summary"] = [_("Say what changed.")]
    last = agreement.versions.order_by("-number").first()
    if last is not None and amendment.effective_from < last.effective_from:
        errors["effective_from"] = [
            _("An amendment cannot take effect before the version it amends (%(date)s).")
            % {"date": last.effective_from.isoformat()}
        ]
    if amendment.agreed_how not in AgreementVersion.How.values:
        errors["agreed_how"] = [_("Choose one of the listed ways.")]
    if errors:
        raise RegisterError(errors)


def needs_amendment(agreement: Agreement) -> bool:
    """Contractual changes of an agreement that is no longer a draft are amendments."""
    return agreement.status != Agreement.Status.DRAFT


def _target_version(agreement: Agreement, amendment: VersionInfo | None, acting_user) -> AgreementVersion:
    """The version a contractual change is written to: the draft's own, or a new amendment."""
    if amendment is None:
        if needs_amendment(agreement):
            raise RegisterError(
                {"amendment": [_("This agreement is in force: a change needs an amendment (effective date, what changed, why, who agreed).")]}
            )
        version = agreement.versions.order_by("-number").first()
        if version is not None:
            return version
        amendment = VersionInfo(effective_from=agreement.valid_from, summary=_("First version."))
    else:
        _validate_amendment(agreement, amendment)
    number = (agreement.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=number,
        effective_from=amendment.effective_from,
        summary=amendment.summary,
        reason=amendment.reason,
        agreed_by=amendment.agreed_by,
        agreed_how=amendment.agreed_how,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    if number > 1:
        # An amendment starts from the previous version's commitments: their
        # terms carry on unless the amendment changes them.
        audit(acting_user, "amend_agreement", version, agreement=agreement, party=agreement.party,
              changes={"summary": amendment.summary, "effective_from": amendment.effective_from})
    return version


def _write_terms(commitment: Commitment, version: AgreementVersion, data: CommitmentData, params: dict) -> None:
    CommitmentTerms.objects.update_or_create(
        commitment=commitment,
        version=version,
        defaults={
            "title": data.title.strip(),
            "params": params,
            "products": [str(p) for p in data.products],
            "valid_from": data.valid_from,
            "valid_to": data.valid_to,
        },
    )


def _snapshot(version: AgreementVersion) -> None:
    """Store what the agreement reads like at this version (after all writes of the change)."""
    version.snapshot = agreement_doc(version.agreement, version)
    version.save(update_fields=["snapshot"])


def _upsert_commitment(agreement, version, data: CommitmentData, params: dict, acting_user) -> Commitment:
    operational = {
        "direction": data.direction,
        "owner": data.owner,
        "registrar": data.registrar,
        "how": data.how,
        "cost_amount": data.cost_amount,
        "cost_hours": data.cost_hours,
    }
    commitment = Commitment.objects.filter(agreement=agreement, key=data.key).first()
    if commitment is None:
        commitment = Commitment.objects.create(agreement=agreement, key=data.key, type=data.type, **operational)
        audit(acting_user, "add_commitment", commitment, agreement=agreement, party=agreement.party,
              changes={"type": data.type, "title": data.title, "params": params, "version": version.number})
    else:
        if commitment.type != data.type:
            raise RegisterError({"type": [_("The type of an existing commitment cannot change; remove it and add a new one.")]})
        old_terms = commitment.current_terms()
        changes = diff_fields(commitment, operational)
        for name, value in operational.items():
            setattr(commitment, name, value)
        if commitment.removed_in_id is not None:
            commitment.removed_in = None
            changes["removed_in"] = ["removed", "restored"]
        commitment.save()
        claim_revision(Commitment, commitment, None)
        if old_terms is not None:
            for name, new in (("title", data.title), ("params", params), ("products", data.products),
                              ("valid_from", data.valid_from), ("valid_to", data.valid_to)):
                old = getattr(old_terms, name)
                if old != new:
                    changes[name] = [old, new]
        changes["version"] = version.number
        audit(acting_user, "change_commitment", commitment, agreement=agreement, party=agreement.party, changes=changes)
    _write_terms(commitment, version, data, params)
    return commitment


# ---------------------------------------------------------------------------
# parties and contacts


@transaction.atomic
def do_create_party(*, acting_user, code: str, name: str, **fields) -> Party:
    unknown = set(fields) - set(PARTY_FIELDS)
    if unknown:
        raise TypeError(f"unknown party fields: {sorted(unknown)}")
    code = code.strip()
    if Party.objects.filter(code=code).exists():
        raise RegisterError({"code": [_("A party with this code exists already.")]})
    party = Party.objects.create(code=code, name=name.strip(), **fields)
    audit(acting_user, "create_party", party, party=party, changes={"code": code, "name": name})
    return party


@transaction.atomic
def do_update_party(party: Party, *, acting_user, expected_revision: int | None = None, **fields) -> Party:
    unknown = set(fields) - set(PARTY_FIELDS)
    if unknown:
        raise TypeError(f"unknown party fields: {sorted(unknown)}")
    claim_revision(Party, party, expected_revision)
    if "code" in fields and fields["code"] != party.code and Party.objects.filter(code=fields["code"]).exists():
        raise RegisterError({"code": [_("A party with this code exists already.")]})
    changes = diff_fields(party, fields)
    for name, value in fields.items():
        setattr(party, name, value)
    party.save()
    if changes:
        audit(acting_user, "change_party", party, party=party, changes=changes)
    return party


@transaction.atomic
def do_save_contact(party: Party, *, acting_user, contact: Contact | None = None, **fields) -> Contact:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    if contact is None:
        contact = Contact.objects.create(party=party, **fields)
        audit(acting_user, "add_contact", contact, party=party, changes=fields)
    else:
        changes = diff_fields(contact, fields)
        for name, value in fields.items():
            setattr(contact, name, value)
        contact.save()
        audit(acting_user, "change_contact", contact, party=party, changes=changes)
    return contact


@transaction.atomic
def do_delete_contact(contact: Contact, *, acting_user) -> None:
    audit(acting_user, "delete_contact", contact, party=contact.party, changes={"name": contact.name})
    contact.delete()


# ---------------------------------------------------------------------------
# agreements


@transaction.atomic
def do_create_agreement(
    *,
    acting_user,
    party: Party,
    reference: str,
    valid_from: dt.date,
    commitments: list[CommitmentData] = (),
    glossary: dict[str, str] | None = None,
    version: VersionInfo | None = None,
    **fields,
) -> Agreement:
    """Create an agreement with its first version, glossary and commitments."""
    allowed = set(AGREEMENT_CONTRACT_FIELDS + AGREEMENT_OPERATIONAL_FIELDS) - {"valid_from"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")
    reference = reference.strip()
    errors: dict[str, list[str]] = {}
    if Agreement.objects.filter(reference=reference).exists():
        errors["reference"] = [_("An agreement with this reference exists already.")]
    if fields.get("valid_to") and fields["valid_to"] < valid_from:
        errors["valid_to"] = [_("The end must not be before the start.")]
    keys = [c.key for c in commitments]
    if len(keys) != len(set(keys)):
        errors["commitments"] = [_("Two commitments have the same id.")]
    if errors:
        raise RegisterError(errors)
    agreement = Agreement.objects.create(party=party, reference=reference, valid_from=valid_from, **fields)
    audit(acting_user, "create_agreement", agreement, agreement=agreement, party=party,
          changes={"reference": reference, "status": agreement.status})
    first = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        effective_from=version.effective_from if version else valid_from,
        summary=version.summary if version else _("First version."),
        reason=version.reason if version else "",
        agreed_by=version.agreed_by if version else "",
        agreed_how=version.agreed_how if version else AgreementVersion.How.EMAIL,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    for term, definition in (glossary or {}).items():
        GlossaryTerm.objects.create(agreement=agreement, term=term, definition=definition)
    for data in commitments:
        try:
            params = _validate_commitment(data, agreement)
        except RegisterError as exc:
            raise RegisterError({f"commitments.{data.key}.{k}": v for k, v in exc.errors.items()}) from None
        _upsert_commitment(agreement, first, data, params, acting_user)
    _snapshot(first)
    return agreement


@transaction.atomic
def do_update_agreement(
    agreement: Agreement,
    *,
    acting_user,
    expected_revision: int | None,
    amendment: VersionInfo | None = None,
    **fields,
) -> Agreement:
    """Change an agreement's header. Contractual fields of an agreement in force need an amendment."""
    allowed = set(AGREEMENT_CONTRACT_FIELDS + AGREEMENT_OPERATIONAL_FIELDS + ("reference",))
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")
    claim_revision(Agreement, agreement, expected_revision)
    changes = diff_fields(agreement, fields)
    if "reference" in changes and Agreement.objects.filter(reference=fields["reference"]).exclude(pk=agreement.pk).exists():
        raise RegisterError({"reference": [_("An agreement with this reference exists already.")]})
    valid_from = fields.get("valid_from", agreement.valid_from)
    valid_to = fields.get("valid_to", agreement.valid_to)
    if valid_to and valid_from and valid_to < valid_from:
        raise RegisterError({"valid_to": [_("The end must not be before the start.")]})
    contractual = [name for name in changes if name in AGREEMENT_CONTRACT_FIELDS]
    # Judge by the status before this change: putting a draft in force together
    # with a last correction is still a draft edit.
    version = _target_version(agreement, amendment, acting_user) if contractual or amendment else None
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.save()
    if changes:
        audit(acting_user, "change_agreement", agreement, agreement=agreement, party=agreement.party, changes=changes)
    if version is not None:
        _snapshot(version)
    return agreement


@transaction.atomic
def do_save_commitment(
    agreement: Agreement,
    data: CommitmentData,
    *,
    acting_user,
    expected_revision: int | None,
    amendment: VersionInfo | None = None,
) -> Commitment:
    """Add or change one commitment (by its key): in place on a draft, by amendment once in force."""
    params = _validate_commitment(data, agreement)
    claim_revision(Agreement, agreement, expected_revision)
    version = _target_version(agreement, amendment, acting_user)
    commitment = _upsert_commitment(agreement, version, data, params, acting_user)
    _snapshot(version)
    return commitment


@transaction.atomic
def do_update_commitment_operations(
    commitment: Commitment, *, acting_user, expected_revision: int | None, **fields
) -> Commitment:
    """Change who executes or registers a commitment, how it reaches the work process, what it costs.

    These are ours, not the contract's: no new version.
    """
    allowed = {"direction", "owner", "registrar", "how", "cost_amount", "cost_hours"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown commitment fields: {sorted(unknown)}")
    claim_revision(Commitment, commitment, expected_revision)
    changes = diff_fields(commitment, fields)
    for name, value in fields.items():
        setattr(commitment, name, value)
    commitment.save()
    if changes:
        agreement = commitment.agreement
        audit(acting_user, "change_commitment", commitment, agreement=agreement, party=agreement.party, changes=changes)
    return commitment


@transaction.atomic
def do_remove_commitment(
    commitment: Commitment, *, acting_user, expected_revision: int | None, amendment: VersionInfo | None = None
) -> None:
    """Take a commitment out. A draft's commitment is deleted; an agreement in
    force keeps it for the period it was in force and ends it by amendment."""
    agreement = commitment.agreement
    claim_revision(Agreement, agreement, expected_revision)
    version = _target_version(agreement, amendment, acting_user)
    audit(acting_user, "remove_commitment", commitment, agreement=agreement, party=agreement.party,
          changes={"version": version.number})
    if version.number == 1:
        commitment.delete()
    else:
        commitment.removed_in = version
        commitment.save(update_fields=["removed_in", "updated_at"])
    _snapshot(version)


@transaction.atomic
def do_amend_agreement(
    agreement: Agreement,
    *,
    acting_user,
    expected_revision: int | None,
    amendment: VersionInfo,
    header: dict[str, Any] | None = None,
    commitments: list[CommitmentData] = (),
    remove: list[str] = (),
    glossary: dict[str, str] | None = None,
) -> AgreementVersion:
    """One amendment that changes several things at once (header, commitments, glossary)."""
    validated = []
    errors: dict[str, list[str]] = {}
    for data in commitments:
        try:
            validated.append((data, _validate_commitment(data, agreement)))
        except RegisterError as exc:
            errors.update({f"commitments.{data.key}.{k}": v for k, v in exc.errors.items()})
    if errors:
        raise RegisterError(errors)
    claim_revision(Agreement, agreement, expected_revision)
    version = _target_version(agreement, amendment, acting_user)
    if header:
        changes = diff_fields(agreement, header)
        for name, value in header.items():
            if name not in AGREEMENT_CONTRACT_FIELDS + AGREEMENT_OPERATIONAL_FIELDS:
                raise TypeError(f"unknown agreement field: {name}")
            setattr(agreement, name, value)
        agreement.save()
        if changes:
            audit(acting_user, "change_agreement", agreement, agreement=agreement, party=agreement.party, changes=changes)
    for data, params in validated:
        _upsert_commitment(agreement, version, data, params, acting_user)
    for key in remove:
        commitment = Commitment.objects.get(agreement=agreement, key=key)
        commitment.removed_in = version
        commitment.save(update_fields=["removed_in", "updated_at"])
        audit(acting_user, "remove_commitment", commitment, agreement=agreement, party=agreement.party,
              changes={"version": version.number})
    if glossary is not None:
        _replace_glossary(agreement, glossary, acting_user)
    _snapshot(version)
    return version


def _replace_glossary(agreement: Agreement, glossary: dict[str, str], acting_user) -> None:
    old = {g.term: g.definition for g in agreement.glossary.all()}
    if old == glossary:
        return
    agreement.glossary.all().delete()
    GlossaryTerm.objects.bulk_create(
        [GlossaryTerm(agreement=agreement, term=t, definition=d) for t, d in glossary.items()]
    )
    audit(acting_user, "change_glossary", agreement, agreement=agreement, party=agreement.party,
          changes={"old": old, "new": glossary})


@transaction.atomic
def do_save_glossary(
    agreement: Agreement,
    glossary: dict[str, str],
    *,
    acting_user,
    expected_revision: int | None,
    amendment: VersionInfo | None = None,
) -> None:
    """Replace the glossary (defined terms are part of the contract: an amendment once in force)."""
    errors = {}
    for term, definition in glossary.items():
        if not term.strip() or not definition.strip():
            errors["glossary"] = [_("Every term needs a definition.")]
    if errors:
        raise RegisterError(errors)
    claim_revision(Agreement, agreement, expected_revision)
    version = _target_version(agreement, amendment, acting_user)
    _replace_glossary(agreement, glossary, acting_user)
    _snapshot(version)


@transaction.atomic
def do_add_note(agreement: Agreement, *, acting_user, date: dt.date, text: str, participants: str = "") -> NegotiationNote:
    if not text.strip():
        raise RegisterError({"text": [_("This field is required.")]})
    note = NegotiationNote.objects.create(
        agreement=agreement,
        date=date,
        participants=participants,
        text=text,
        author=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit(acting_user, "add_note", note, agreement=agreement, party=agreement.party,
          changes={"date": date, "participants": participants})
    return note


@transaction.atomic
def do_waive_instance(
    commitment: Commitment, instance_key: str, *, acting_user, reason: str, granted_by: str, at: dt.datetime
) -> Waiver:
    """Record that the other side released one instance (who, when, why)."""
    errors = {}
    if not reason.strip():
        errors["reason"] = [_("Say why it was released.")]
    if not granted_by.strip():
        errors["granted_by"] = [_("Say who on the other side released it.")]
    if errors:
        raise RegisterError(errors)
    waiver, _created = Waiver.objects.update_or_create(
        commitment=commitment,
        instance_key=instance_key,
        defaults={"reason": reason, "granted_by": granted_by, "at": at,
                  "recorded_by": acting_user if getattr(acting_user, "pk", None) else None},
    )
    agreement = commitment.agreement
    audit(acting_user, "waive_instance", commitment, agreement=agreement, party=agreement.party,
          changes={"instance": instance_key, "reason": reason, "granted_by": granted_by})
    return waiver


@transaction.atomic
def do_record_pause(
    agreement: Agreement, *, acting_user, start: dt.datetime, end: dt.datetime | None, reason: str
) -> Pause:
    """Force majeure declared or customer on hold: deadlines move by the paused time."""
    if end is not None and end < start:
        raise RegisterError({"end": [_("The end must not be before the start.")]})
    if not reason.strip():
        raise RegisterError({"reason": [_("This field is required.")]})
    pause = Pause.objects.create(
        agreement=agreement, start=start, end=end, reason=reason,
        recorded_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit(acting_user, "record_pause", pause, agreement=agreement, party=agreement.party,
          changes={"start": start, "end": end, "reason": reason})
    return pause


__all__ = [
    "CommitmentData",
    "ConflictError",
    "FieldError",
    "RegisterError",
    "VersionInfo",
    "claim_revision",
    "do_add_note",
    "do_amend_agreement",
    "do_create_agreement",
    "do_create_party",
    "do_delete_contact",
    "do_record_pause",
    "do_remove_commitment",
    "do_save_commitment",
    "do_save_contact",
    "do_save_glossary",
    "do_update_agreement",
    "do_update_commitment_operations",
    "do_update_party",
    "do_waive_instance",
    "needs_amendment",
]
