"""Agreement files into and out of the register.

`export_agreements()` writes agreements as one YAML agreement file
(docs/agreement-files.md): `to_yaml(export_doc(a))` for each, with numbers as
plain YAML numbers and durations as ISO strings. `import_agreements()` stores
the parsed documents of such a file (`pacta.core.imports.parse_agreements`)
through the register's `do_*` writes, all or nothing:

- an agreement the register does not have is created with its history:
  version 1, every later version as an amendment, its negotiation notes, and
  its party when that is missing (code `party`, name `party_name`);
- an agreement stored with the same content is left alone: importing the same
  file twice changes nothing;
- an agreement whose content differs is updated: a draft in place; an
  agreement in force (or suspended, or ended) by recording the file's versions
  the register does not have yet, as amendments. Versions the register has
  are a record and are never rewritten;
- operational fields (title, description, status, owner, deputy; a
  commitment's direction, executor, registrar, how and cost) follow the file
  without a new version; notes and party contacts the register lacks are
  added, none are removed.

docs/agreement-files.md, "Importing into the register", states the rules.
Every problem is reported at once as `FILE:LINE: field: what is wrong`
(`ImportErrors`), and nothing is stored then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.actions.register import (
    CommitmentData,
    RegisterError,
    VersionInfo,
    do_add_note,
    do_amend_agreement,
    do_create_agreement,
    do_create_party,
    do_remove_commitment,
    do_save_commitment,
    do_save_contact,
    do_save_glossary,
    do_update_agreement,
    do_update_commitment_operations,
    do_update_party,
)
from pacta.core.commitments import REGISTRY, params_to_data, validate_params
from pacta.core.documents import COMMITMENT_KEYS, export_doc, to_yaml
from pacta.core.imports import (AgreementDoc, CommitmentDoc, ImportErrors, ImportIssue, VersionDoc, noting_cut_short,
                                 parse_agreements)
from pacta.core.models import Agreement, Party

# Register field names that the file calls otherwise.
FILE_NAMES = {"reference": "id", "key": "id", "cost_amount": "cost.amount", "cost_hours": "cost.hours"}


@dataclass
class AgreementImportSummary:
    """What one import did, by agreement reference and party code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    parties_created: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return _(
            "Agreements: %(created)s created, %(updated)s updated, %(unchanged)s unchanged; "
            "parties: %(parties)s created."
        ) % {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
             "parties": len(self.parties_created)}


class _Problems(Exception):
    """Problems of one agreement document, as (line, field, message)."""

    def __init__(self, items: list[tuple[int, str, str]]):
        super().__init__(items)
        self.items = items


# ---------------------------------------------------------------------------
# the register's side in the file's terms


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _stored_commitment(doc: dict[str, Any]) -> CommitmentDoc:
    """A commitment of `export_doc` as the parser would read it."""
    raw = {k: v for k, v in doc.items() if k not in COMMITMENT_KEYS}
    params, _errors = validate_params(doc["type"], raw)  # stored parameters were validated when saved
    cost = doc.get("cost") or {}
    return CommitmentDoc(
        id=doc["id"], type=doc["type"], title=doc["title"], params=params,
        products=tuple(doc.get("products") or ()), valid_from=_date(doc.get("valid_from")),
        valid_to=_date(doc.get("valid_to")), direction=doc.get("direction", ""), owner=doc.get("owner") or "",
        registrar=doc.get("registrar") or "", how=doc.get("how", ""),
        cost_amount=Decimal(cost["amount"]) if "amount" in cost else None,
        cost_hours=Decimal(cost["hours"]) if "hours" in cost else None,
    )


def _stored_versions(doc: dict[str, Any]) -> list[VersionDoc]:
    return [
        VersionDoc(
            number=v["number"], effective_from=_date(v["effective_from"]), summary=v.get("summary", ""),
            reason=v.get("reason", ""), agreed_by=v.get("agreed_by", ""), agreed_how=v.get("agreed_how", "email"),
            commitments=tuple(_stored_commitment(c) for c in v.get("commitments", [])),
        )
        for v in doc["versions"]
    ]


def _ops(c: CommitmentDoc) -> tuple:
    return (c.direction, c.owner, c.registrar, c.how, c.cost_amount, c.cost_hours)


def _info(v: VersionDoc) -> tuple:
    return (v.number, v.effective_from, v.summary, v.reason, v.agreed_by, v.agreed_how)


def _by_id(commitments) -> dict[str, CommitmentDoc]:
    return {c.id: c for c in commitments}


def _same_terms(a: dict[str, CommitmentDoc], b: dict[str, CommitmentDoc]) -> bool:
    return list(a) == list(b) and all(a[k].same_terms(b[k]) for k in a)


def _same_version(a: VersionDoc, b: VersionDoc) -> bool:
    mine, theirs = _by_id(a.commitments), _by_id(b.commitments)
    return (_info(a) == _info(b) and _same_terms(mine, theirs)
            and all(_ops(mine[k]) == _ops(theirs[k]) for k in mine))


# ---------------------------------------------------------------------------
# one import


class _Import:
    """One import's state: who acts, the users the file names, the summary."""

    def __init__(self, acting_user, filename: str):
        self.acting_user = acting_user
        self.filename = filename
        self.summary = AgreementImportSummary()
        self.users: dict[str, Any] = {}

    # --- users

    def resolve_users(self, docs: list[AgreementDoc]) -> list[ImportIssue]:
        """Look up every username the file names; one issue per unknown one."""
        wanted: list[tuple[int, str, str]] = []
        for doc in docs:
            wanted += [(doc.line, key, getattr(doc, key)) for key in ("owner", "deputy") if getattr(doc, key)]
            for c in self._all_commitments(doc):
                wanted += [(c.line, key, getattr(c, key)) for key in ("owner", "registrar") if getattr(c, key)]
        names = {name for _line, _key, name in wanted}
        self.users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
        issues = {
            ImportIssue(self.filename, line, key, _("Unknown user: %(name)s.") % {"name": name})
            for line, key, name in wanted if name not in self.users
        }
        return sorted(issues, key=lambda i: (i.line, i.field))

    @staticmethod
    def _all_commitments(doc: AgreementDoc):
        yield from doc.commitments
        for version in doc.versions:
            yield from version.commitments

    def user(self, name: str):
        return self.users.get(name) if name else None

    def data(self, c: CommitmentDoc) -> CommitmentData:
        return CommitmentData(
            key=c.id, type=c.type, title=c.title, params=params_to_data(c.params), products=list(c.products),
            valid_from=c.valid_from, valid_to=c.valid_to, direction=c.direction, owner=self.user(c.owner),
            registrar=self.user(c.registrar), how=c.how, cost_amount=c.cost_amount, cost_hours=c.cost_hours,
        )

    # --- locating the register's refusals

    def refused(self, exc: RegisterError, line: int, commitments=()) -> _Problems:
        """The register's errors at the file's lines: a commitment's at its own line."""
        lines = {c.id: c.line for c in commitments}
        items = []
        for key, messages in exc.errors.items():
            parts = key.split(".")
            where, name = line, key
            if parts[0] == "commitments" and len(parts) > 2:
                where = lines.get(parts[1], line)
                name = ".".join(p for p in parts[2:] if p != "params")
            name = FILE_NAMES.get(name, name)
            items += [(where, name, m) for m in messages]
        return _Problems(items)

    # --- parties

    def party(self, doc: AgreementDoc) -> Party:
        party = Party.objects.filter(code=doc.party).first()
        customer, supplier = doc.role == Agreement.Role.CUSTOMER, doc.role == Agreement.Role.SUPPLIER
        if party is None:
            party = do_create_party(
                acting_user=self.acting_user, code=doc.party, name=doc.party_name,
                is_customer=customer, is_supplier=supplier, country=doc.country, timezone=doc.timezone,
            )
            self.summary.parties_created.append(doc.party)
        elif (customer and not party.is_customer) or (supplier and not party.is_supplier):
            # One firm can be both: an agreement in the other role adds it.
            role = "is_customer" if customer else "is_supplier"
            do_update_party(party, acting_user=self.acting_user, **{role: True})
        return party

    def add_contacts(self, party: Party, doc: AgreementDoc) -> bool:
        have = set(party.contacts.values_list("name", flat=True))
        added = False
        for contact in doc.contacts:
            if contact.name not in have:
                do_save_contact(party, acting_user=self.acting_user, name=contact.name, title=contact.title,
                                email=contact.email, phone=contact.phone, receives_updates=contact.receives_updates)
                have.add(contact.name)
                added = True
        return added

    # --- one document

    def run(self, doc: AgreementDoc) -> None:
        agreement = Agreement.objects.select_related("party").filter(reference=doc.id).first()
        if agreement is None:
            self.create(doc)
            self.summary.created.append(doc.id)
        elif self.update(agreement, doc):
            self.summary.updated.append(doc.id)
        else:
            self.summary.unchanged.append(doc.id)

    def check_numbers(self, doc: AgreementDoc) -> None:
        problems = [(v.line, "number", _("The register numbers versions 1, 2, 3, …: expected %(n)s here.")
                     % {"n": i}) for i, v in enumerate(doc.versions, start=1) if v.number != i]
        if problems:
            raise _Problems(problems)

    def contract(self, doc: AgreementDoc) -> dict[str, Any]:
        return {"role": doc.role, "currency": doc.currency, "timezone": doc.timezone, "country": doc.country,
                "valid_from": doc.valid_from, "valid_to": doc.valid_to}

    def operational(self, doc: AgreementDoc) -> dict[str, Any]:
        return {"title": doc.title, "description": doc.description, "status": doc.status,
                "owner": self.user(doc.owner), "deputy": self.user(doc.deputy)}

    def create(self, doc: AgreementDoc) -> Agreement:
        self.check_numbers(doc)
        party = self.party(doc)
        self.add_contacts(party, doc)
        history = doc.history()
        first = history[0]
        info = VersionInfo(first.effective_from, first.summary, first.reason, first.agreed_by, first.agreed_how) \
            if doc.versions else None
        try:
            agreement = do_create_agreement(
                acting_user=self.acting_user, party=party, reference=doc.id,
                commitments=[self.data(c) for c in first.commitments], glossary=dict(doc.glossary),
                version=info, **self.contract(doc), **self.operational(doc),
            )
        except RegisterError as exc:
            raise self.refused(exc, first.line or doc.line, first.commitments) from None
        previous = first
        for version in history[1:]:
            self.amend(agreement, previous, version)
            previous = version
        self.update_operations(agreement, _by_id(doc.commitments), _by_id(previous.commitments))
        self.add_notes(agreement, doc)
        return agreement

    def amend(self, agreement: Agreement, previous: VersionDoc, version: VersionDoc, *,
              header: dict[str, Any] | None = None, glossary: dict[str, str] | None = None) -> None:
        """Record one version of the file as an amendment of the one before."""
        before, after = _by_id(previous.commitments), _by_id(version.commitments)
        # Operational changes first, so that the new version's snapshot shows them.
        self.update_operations(agreement, after, before)
        changed = [self.data(c) for k, c in after.items() if k not in before or not before[k].same_terms(c)]
        removed = [k for k in before if k not in after]
        try:
            do_amend_agreement(
                agreement, acting_user=self.acting_user, expected_revision=None,
                amendment=VersionInfo(version.effective_from, version.summary, version.reason, version.agreed_by,
                                      version.agreed_how),
                header=header, commitments=changed, remove=removed, glossary=glossary,
            )
        except RegisterError as exc:
            raise self.refused(exc, version.line, version.commitments) from None

    def update_operations(self, agreement: Agreement, wanted: dict[str, CommitmentDoc],
                          have: dict[str, CommitmentDoc]) -> bool:
        """Commitments whose terms stay get the file's operational fields (no new version)."""
        stored = {c.key: c for c in agreement.commitments.all()}
        changed = False
        for key, c in wanted.items():
            if key in have and key in stored and have[key].same_terms(c) and _ops(have[key]) != _ops(c):
                data = self.data(c)
                try:
                    do_update_commitment_operations(
                        stored[key], acting_user=self.acting_user, expected_revision=None,
                        direction=data.direction, owner=data.owner, registrar=data.registrar, how=data.how,
                        cost_amount=data.cost_amount, cost_hours=data.cost_hours,
                    )
                except RegisterError as exc:
                    raise self.refused(exc, c.line) from None
                changed = True
        return changed

    def add_notes(self, agreement: Agreement, doc: AgreementDoc) -> bool:
        have = {(n.date, n.participants, n.text) for n in agreement.notes.all()}
        added = False
        for note in doc.notes:
            if (note.date, note.participants, note.text) not in have:
                try:
                    do_add_note(agreement, acting_user=self.acting_user, date=note.date, text=note.text,
                                participants=note.participants)
                except RegisterError as exc:
                    raise self.refused(exc, doc.line) from None
                have.add((note.date, note.participants, note.text))
                added = True
        return added

    # --- an agreement the register has

    def update(self, agreement: Agreement, doc: AgreementDoc) -> bool:
        """Bring a stored agreement to the file's content; return whether anything changed."""
        if doc.party != agreement.party.code:
            raise _Problems([(doc.line, "party", _(
                "The agreement belongs to %(code)s in the register; its party cannot change.")
                % {"code": agreement.party.code})])
        self.check_numbers(doc)
        stored = export_doc(agreement)
        stored_versions = _stored_versions(stored)
        contract = self._contract_changes(agreement, doc)
        glossary = dict(doc.glossary) if dict(doc.glossary) != stored.get("glossary", {}) else None
        changed = self.add_contacts(agreement.party, doc)
        if doc.versions:
            changed |= self.update_history(agreement, doc, stored_versions, contract, glossary)
        else:
            # A file without versions states the current content only.
            latest = stored_versions[-1]
            implicit = VersionDoc(latest.number, latest.effective_from, latest.summary, commitments=doc.commitments,
                                  line=doc.line)
            changed |= self.edit_in_place(agreement, doc, latest, implicit, contract, glossary)
        changed |= self.update_header_operations(agreement, doc)
        changed |= self.add_notes(agreement, doc)
        return changed

    def _contract_changes(self, agreement: Agreement, doc: AgreementDoc) -> dict[str, Any]:
        changes = {}
        party_country = agreement.party.country
        for name, value in self.contract(doc).items():
            old = getattr(agreement, name)
            # The file shows the party's country when the agreement has none of its own.
            if name == "country" and (value or party_country) == (old or party_country):
                continue
            if old != value:
                changes[name] = value
        return changes

    def edit_in_place(self, agreement: Agreement, doc: AgreementDoc, stored: VersionDoc, wanted: VersionDoc,
                      contract: dict[str, Any], glossary: dict[str, str] | None) -> bool:
        """Give the latest stored version the file's content: a draft in place, else refused."""
        have, want = _by_id(stored.commitments), _by_id(wanted.commitments)
        if _same_terms(want, have) and not contract and glossary is None:
            return self.update_operations(agreement, want, have)
        if agreement.status != Agreement.Status.DRAFT:
            raise _Problems([(wanted.line, "versions", _(
                "This agreement is in force and the file changes its terms: add the change as a new version "
                "(number, effective_from, summary, reason, agreed_by, agreed_how)."))])
        try:
            if contract:
                do_update_agreement(agreement, acting_user=self.acting_user, expected_revision=None, **contract)
            if glossary is not None:
                do_save_glossary(agreement, glossary, acting_user=self.acting_user, expected_revision=None)
        except RegisterError as exc:
            raise self.refused(exc, doc.line) from None
        stored_commitments = {c.key: c for c in agreement.commitments.all()}
        for key in have:
            if key not in want:
                do_remove_commitment(stored_commitments[key], acting_user=self.acting_user, expected_revision=None)
        for key, c in want.items():
            if key not in have or not have[key].same_terms(c) or _ops(have[key]) != _ops(c):
                try:
                    do_save_commitment(agreement, self.data(c), acting_user=self.acting_user, expected_revision=None)
                except RegisterError as exc:
                    raise self.refused(exc, c.line, [c]) from None
        return True

    def update_history(self, agreement: Agreement, doc: AgreementDoc, stored: list[VersionDoc],
                       contract: dict[str, Any], glossary: dict[str, str] | None) -> bool:
        """Compare the file's versions with the register's and record the ones it lacks."""
        mine = list(doc.versions)
        if len(mine) < len(stored):
            raise _Problems([(mine[-1].line, "versions", _(
                "The register has %(stored)s versions of this agreement, the file %(file)s: a recorded version "
                "is never removed.") % {"stored": len(stored), "file": len(mine)})])
        is_draft = agreement.status == Agreement.Status.DRAFT
        last_stored = len(stored) - 1
        problems = [
            (version.line, "versions", _(
                "Version %(number)s differs from the one in the register: a recorded version is never rewritten; "
                "describe the change as a new version.") % {"number": version.number})
            for index, (version, theirs) in enumerate(zip(mine, stored))
            if not _same_version(version, theirs)
            # A draft's latest version is still being written.
            and not (is_draft and index == last_stored and _info(version) == _info(theirs))
        ]
        if problems:
            raise _Problems(problems)
        new = mine[len(stored):]
        changed = self.edit_in_place(agreement, doc, stored[-1], mine[last_stored],
                                     {} if new else contract, None if new else glossary)
        previous = mine[last_stored]
        for index, version in enumerate(new):
            final = index == len(new) - 1
            self.amend(agreement, previous, version, header=(contract or None) if final else None,
                       glossary=glossary if final else None)
            previous = version
            changed = True
        changed |= self.update_operations(agreement, _by_id(doc.commitments), _by_id(previous.commitments))
        return changed

    def update_header_operations(self, agreement: Agreement, doc: AgreementDoc) -> bool:
        changes = {k: v for k, v in self.operational(doc).items() if getattr(agreement, k) != v}
        if not changes:
            return False
        try:
            do_update_agreement(agreement, acting_user=self.acting_user, expected_revision=None, **changes)
        except RegisterError as exc:
            raise self.refused(exc, doc.line) from None
        return True


def import_agreements(docs: list[AgreementDoc], *, acting_user=None, filename: str = "",
                      dry_run: bool = False) -> AgreementImportSummary:
    """Store parsed agreement documents in the register, all or nothing.

    Raises `ImportErrors` listing every problem; nothing is stored then. With
    `dry_run` everything is done and checked, then rolled back: the summary
    tells what an import would do (a preview).
    """
    run = _Import(acting_user, filename)
    with transaction.atomic():
        issues = run.resolve_users(docs)
        for doc in docs:
            try:
                with transaction.atomic():
                    run.run(doc)
            except _Problems as problems:
                issues += [ImportIssue(filename, line, name, message) for line, name, message in problems.items]
        if issues:
            raise ImportErrors(issues)
        if dry_run:
            transaction.set_rollback(True)
    return run.summary


def _read(path_or_text) -> tuple[str, str]:
    """(text, filename) of a path, an uploaded file (bytes) or YAML text."""
    if hasattr(path_or_text, "read"):
        filename = Path(getattr(path_or_text, "name", "") or "agreements.yaml").name
        content = path_or_text.read()
        return (_utf8(content, filename) if isinstance(content, bytes) else content), filename
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str) and "\n" not in path_or_text):
        path = Path(path_or_text)
        return _utf8(path.read_bytes(), str(path)), str(path)
    return str(path_or_text), "agreements.yaml"


def _utf8(content: bytes, filename: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ImportErrors([ImportIssue(filename, line, "", _("The file is not UTF-8 text; save it as UTF-8."))]
                           ) from None


def import_agreements_file(path_or_text, *, acting_user=None, dry_run: bool = False) -> AgreementImportSummary:
    """Parse an agreement file (a path, an uploaded file, or the YAML text itself) and import it
    (`dry_run`: check and report only, see `import_agreements`)."""
    text, filename = _read(path_or_text)
    docs = parse_agreements(text, filename)
    try:
        return import_agreements(docs, acting_user=acting_user, filename=filename, dry_run=dry_run)
    except ImportErrors as exc:
        raise noting_cut_short(exc, text, filename) from None


# ---------------------------------------------------------------------------
# export


def _plain_number(value: Decimal) -> Decimal:
    """A decimal without trailing zeros or exponent (2.50 -> 2.5, 1E+2 -> 100)."""
    return Decimal(format(value.normalize(), "f"))


def _readable(stored: Any, parsed: Any) -> Any:
    """Stored parameter data with decimals as numbers and whole-minute times as HH:MM."""
    if isinstance(parsed, Decimal):
        return _plain_number(parsed)
    if isinstance(parsed, dt.time) and not parsed.second and not parsed.microsecond:
        return parsed.strftime("%H:%M")
    if isinstance(stored, dict) and isinstance(parsed, dict):
        return {k: _readable(v, parsed.get(k)) for k, v in stored.items()}
    if isinstance(stored, list) and isinstance(parsed, list) and len(stored) == len(parsed):
        return [_readable(s, p) for s, p in zip(stored, parsed)]
    return stored


# Keys whose values `export_doc` gives as ISO strings; written as YAML dates.
DATE_KEYS = ("valid_from", "valid_to", "effective_from", "date")


def _with_dates(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: dt.date.fromisoformat(v) if k in DATE_KEYS and isinstance(v, str) else v for k, v in doc.items()}


def readable_commitment(doc: dict[str, Any]) -> dict[str, Any]:
    """A commitment document of `export_doc` with its numbers as YAML numbers and its dates as dates."""
    out = _with_dates(doc)
    raw = {k: v for k, v in doc.items() if k not in COMMITMENT_KEYS}
    if raw and doc.get("type") in REGISTRY:
        params, errors = validate_params(doc["type"], raw)
        if not errors:
            parsed = params.model_dump(mode="python", by_alias=True, exclude_none=True, exclude_defaults=True)
            out.update(_readable(params_to_data(params), parsed))
    if doc.get("cost"):
        # Money keeps its cents (12.50); hours read best without them (1.5).
        out["cost"] = {k: Decimal(v) if k == "amount" else _plain_number(Decimal(v)) for k, v in doc["cost"].items()}
    return out


def readable_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """An `export_doc` with readable numbers and plain dates, current and per version."""
    out = _with_dates(doc)
    out["commitments"] = [readable_commitment(c) for c in doc.get("commitments", [])]
    if "notes" in doc:
        out["notes"] = [_with_dates(n) for n in doc["notes"]]
    if "versions" in doc:
        out["versions"] = [{**_with_dates(v), "commitments": [readable_commitment(c) for c in v.get("commitments", [])]}
                           for v in doc["versions"]]
    return out


def export_agreements(queryset=None) -> str:
    """The agreements of `queryset` (default: all), by reference, as one YAML agreement file."""
    if queryset is None:
        queryset = Agreement.objects.all()
    agreements = queryset.select_related("party", "owner", "deputy").prefetch_related("glossary").order_by("reference")
    return to_yaml({"agreements": [readable_doc(export_doc(a)) for a in agreements]})
