"""Agreements as documents: the dict behind the YAML agreement file.

One function turns a stored agreement, as it reads at one version, into the
document of COMMITMENTS.md section 4. It serves three purposes: the immutable
snapshot stored with each `AgreementVersion`, the readable diff between two
versions, and the YAML export.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal
from typing import Any

import yaml

from pacta.core.models import Agreement, AgreementVersion, Commitment, CommitmentTerms

# The keys of a commitment document that are not type parameters, in file order.
COMMITMENT_KEYS = (
    "id", "type", "title", "products", "valid_from", "valid_to",
    "direction", "owner", "registrar", "how", "cost",
)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _username(user) -> str | None:
    return user.get_username() if user else None


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v not in (None, "", [], {})}


def terms_at(commitment: Commitment, version_number: int) -> CommitmentTerms | None:
    """The terms of a commitment in force at a version (None if it did not exist yet)."""
    found = None
    for terms in commitment.terms.all():  # ordered by version number (prefetch-friendly)
        if terms.version.number <= version_number:
            found = terms
    return found


def commitment_doc(commitment: Commitment, terms: CommitmentTerms) -> dict[str, Any]:
    """One commitment as it reads in the agreement file: common keys, then the parameters."""
    cost = _drop_empty(
        {
            "amount": str(commitment.cost_amount) if commitment.cost_amount is not None else None,
            "hours": str(commitment.cost_hours) if commitment.cost_hours is not None else None,
        }
    )
    doc = {
        "id": commitment.key,
        "type": commitment.type,
        "title": terms.title,
        "products": list(terms.products or []),
        "valid_from": _iso(terms.valid_from),
        "valid_to": _iso(terms.valid_to),
        "direction": commitment.direction,
        "owner": _username(commitment.owner),
        "registrar": _username(commitment.registrar),
        "how": commitment.how,
        "cost": cost,
    }
    doc = _drop_empty(doc)
    doc.update(terms.params or {})
    return doc


def agreement_doc(agreement: Agreement, version: AgreementVersion | int | None = None) -> dict[str, Any]:
    """The agreement as it reads at `version` (default: the latest), JSON-safe.

    Holds the agreement's header, glossary and commitments; negotiation notes
    and the version history are not part of a version (see `export_doc`).
    """
    if version is None:
        number = agreement.versions.order_by("-number").values_list("number", flat=True).first() or 0
    elif isinstance(version, AgreementVersion):
        number = version.number
    else:
        number = int(version)
    commitments = []
    qs = (
        agreement.commitments.select_related("owner", "registrar", "removed_in")
        .prefetch_related("terms__version")
        .order_by("id")
    )
    for c in qs:
        if c.removed_in is not None and c.removed_in.number <= number:
            continue
        terms = terms_at(c, number)
        if terms is not None:
            commitments.append(commitment_doc(c, terms))
    party = agreement.party
    doc = {
        "id": agreement.reference,
        "party": party.code,
        "party_name": party.name,
        "title": agreement.title,
        "role": agreement.role,
        "country": agreement.country or party.country,
        "currency": agreement.currency,
        "timezone": agreement.timezone,
        "valid_from": _iso(agreement.valid_from),
        "valid_to": _iso(agreement.valid_to),
        "status": agreement.status,
        "description": agreement.description,
        "owner": _username(agreement.owner),
        "deputy": _username(agreement.deputy),
        "glossary": {g.term: g.definition for g in agreement.glossary.all()},
    }
    doc = _drop_empty(doc)
    doc["commitments"] = commitments
    return doc


def export_doc(agreement: Agreement) -> dict[str, Any]:
    """The whole record of an agreement for the YAML file: the latest version,
    its negotiation notes and its history (each version's snapshot)."""
    doc = agreement_doc(agreement)
    notes = [
        _drop_empty({"date": _iso(n.date), "participants": n.participants, "text": n.text})
        for n in agreement.notes.order_by("date", "id")
    ]
    if notes:
        doc["notes"] = notes
    versions = []
    for v in agreement.versions.order_by("number"):
        entry = _drop_empty(
            {
                "number": v.number,
                "effective_from": _iso(v.effective_from),
                "summary": v.summary,
                "reason": v.reason,
                "agreed_by": v.agreed_by,
                "agreed_how": v.agreed_how,
            }
        )
        entry["commitments"] = v.snapshot.get("commitments", [])
        versions.append(entry)
    doc["versions"] = versions
    return doc


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _decimal_presenter(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in str(data) else "tag:yaml.org,2002:int", str(data))


_Dumper.add_representer(str, _str_presenter)
_Dumper.add_representer(Decimal, _decimal_presenter)


def to_yaml(data: Any) -> str:
    """YAML text in file order, readable and diffable."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Not part of what was agreed: the status changes without a new version.
_NOT_AGREED = ("status",)


def _readable(value: Any) -> Any:
    """A snapshot for reading: ISO dates as dates (unquoted in YAML), operational keys left out."""
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items() if k not in _NOT_AGREED}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    return value


def version_text(version: AgreementVersion) -> str:
    """The agreement as it read in this version, as YAML for people."""
    return to_yaml(_readable(version.snapshot))


def version_diff(old: AgreementVersion | None, new: AgreementVersion) -> list[tuple[str, str]]:
    """A line diff between two versions' texts: [(op, line)] with op in ' ', '+', '-'."""
    old_lines = version_text(old).splitlines() if old is not None else []
    new_lines = version_text(new).splitlines()
    out = []
    for line in difflib.ndiff(old_lines, new_lines):
        op, text = line[:1], line[2:]
        if op in (" ", "+", "-"):
            out.append((op, text))
    return out
