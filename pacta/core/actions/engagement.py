"""Writes of "clarify and communicate": intakes, status updates, check-ins.

Like every do_* function (STYLE.md habit 5) each one is atomic, writes the
audit entry and takes `acting_user` by keyword (None: the system, e.g.
`pacta updates --prepare`). Refusals are `RegisterError` (errors by field) and
`ConflictError` (somebody saved since the form was read), as in the register.
Permissions are checked by the callers (`pacta.core.intake.can_change_intake`,
`pacta.core.permissions.can_change` on the party).

Domain rules live in `pacta.core.intake` (an intake's states, what accepting
makes of it, cost and benefit) and `pacta.core.updates` (what a draft says,
the cadence, the mail).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacta.core import intake as intakes
from pacta.core import outbox, updates
from pacta.core.actions.audit import audit, diff_fields
from pacta.core.actions.events import do_import_events
from pacta.core.actions.register import (
    ConflictError,
    RegisterError,
    VersionInfo,
    claim_revision,
    do_add_note,
    do_amend_agreement,
    do_create_agreement,
    do_save_commitment,
    do_save_glossary,
)
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.models import Agreement, CheckIn, Event, Intake, OutboundMail, Party, StatusUpdate
from pacta.lib import clock, emails
from pacta.lib.dates import date_to_utc_midnight

EVENT_SOURCE = "pacta"  # the source of the events pacta records itself (updates sent, check-ins held)

INTAKE_FIELDS = (
    "party", "prospect_name", "agreement", "title", "owner", "problem", "desired_situation", "goal", "purpose",
    "benefit", "scope_in", "scope_out", "limits", "key_terms", "req_quality", "req_efficiency", "req_security",
    "req_reliability", "customer_values", "customer_pays", "capacity", "feasibility", "currency",
    "expected_revenue", "expected_margin", "proposed_commitments",
)
# What must be written down before anybody decides ("Schets het probleem én de gewenste situatie").
REQUIRED_FOR_DECISION = ("problem", "desired_situation", "goal")
UPDATE_FIELDS = ("subject", "topics", "kept", "at_risk", "open_points", "challenges", "next_steps",
                 "period_start", "period_end", "language")
CHECK_IN_TEXTS = ("went_well", "went_badly", "changes")


def _user(acting_user):
    return acting_user if getattr(acting_user, "pk", None) else None


# ---------------------------------------------------------------------------
# Intakes


def _check_intake_fields(fields: dict, intake: Intake | None) -> dict:
    """The fields cleaned (key terms and proposed promises normalised); RegisterError on problems."""
    unknown = set(fields) - set(INTAKE_FIELDS)
    if unknown:
        raise TypeError(f"unknown intake fields: {sorted(unknown)}")
    merged = {name: getattr(intake, name) if intake else None for name in ("title", "party", "prospect_name",
                                                                              "agreement")}
    merged.update({k: v for k, v in fields.items() if k in merged})
    errors: dict[str, list[str]] = {}
    if not (merged["title"] or "").strip():
        errors["title"] = [_("This field is required.")]
    if merged["party"] is None and not (merged["prospect_name"] or "").strip():
        errors["party"] = [_("Choose the party, or name the prospect if it is not a party yet.")]
    agreement = merged["agreement"]
    if agreement is not None and (merged["party"] is None or agreement.party_id != merged["party"].pk):
        errors["agreement"] = [_("The agreement must be one of the party's.")]
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").strip().upper()
        if len(fields["currency"]) != 3 or not fields["currency"].isalpha():
            errors["currency"] = [_("Enter a three-letter currency code such as EUR.")]
    if "key_terms" in fields:
        fields["key_terms"], found = intakes.clean_key_terms(fields["key_terms"])
        errors.update(found)
    if "proposed_commitments" in fields:
        fields["proposed_commitments"], found = intakes.clean_proposed_commitments(fields["proposed_commitments"])
        errors.update(found)
    if errors:
        raise RegisterError(errors)
    return fields


def _save_fields(obj, fields: dict, acting_user, expected_revision: int | None, action: str, **context):
    """Claim the revision read, write the checked fields, audit what changed (nothing changed: no entry)."""
    claim_revision(type(obj), obj, expected_revision)
    changes = diff_fields(obj, fields)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    if changes:
        audit(acting_user, action, obj, party=obj.party, changes=changes, **context)
    return obj


def _require_editable(intake: Intake) -> None:
    if not intakes.is_editable(intake):
        raise RegisterError({"": [_("This intake was decided (%(status)s) and can no longer be changed.")
                                  % {"status": intake.get_status_display()}]})


@transaction.atomic
def do_create_intake(*, acting_user, title: str, **fields) -> Intake:
    """Open an intake for a party's (or a prospect's) request; its owner is the creator unless given."""
    fields = _check_intake_fields({"title": title, **fields}, None)
    fields.setdefault("owner", _user(acting_user))
    if fields.get("agreement") is not None and "currency" not in fields:
        fields["currency"] = fields["agreement"].currency
    intake = Intake.objects.create(created_by=_user(acting_user), **fields)
    audit(acting_user, "create_intake", intake, party=intake.party, agreement=intake.agreement,
          changes={"title": intake.title, "status": intake.status})
    return intake


@transaction.atomic
def do_update_intake(intake: Intake, *, acting_user, expected_revision: int | None, **fields) -> Intake:
    """Change what an intake says, until it is accepted or declined."""
    _require_editable(intake)
    fields = _check_intake_fields(fields, intake)
    return _save_fields(intake, fields, acting_user, expected_revision, "change_intake", agreement=intake.agreement)


@transaction.atomic
def do_submit_intake(intake: Intake, *, acting_user, expected_revision: int | None) -> Intake:
    """Clarified: the intake waits for a decision from now on (the clock of "waiting longer than a week")."""
    if intake.status != Intake.Status.CLARIFYING:
        raise RegisterError({"": [_("Only an intake being clarified can be submitted for a decision.")]})
    missing = {name: [_("Write this down before asking for a decision.")]
               for name in REQUIRED_FOR_DECISION if not (getattr(intake, name) or "").strip()}
    if missing:
        raise RegisterError(missing)
    claim_revision(Intake, intake, expected_revision)
    intake.status, intake.submitted_at = Intake.Status.AWAITING_DECISION, clock.now()
    intake.save(update_fields=["status", "submitted_at", "updated_at"])
    audit(acting_user, "submit_intake", intake, party=intake.party, agreement=intake.agreement,
          changes={"status": [Intake.Status.CLARIFYING, intake.status]})
    return intake


@dataclass
class DraftTerms:
    """Where an accepted intake goes: a new draft agreement's reference and validity,
    or, for a change of an agreement in force, the amendment's effective date (`valid_from`)."""

    reference: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def _new_agreement(intake: Intake, terms: DraftTerms, acting_user) -> Agreement:
    party = intake.party
    errors = {}
    if not terms.reference.strip():
        errors["reference"] = [_("Give the new agreement a reference.")]
    if terms.valid_from is None:
        errors["valid_from"] = [_("Say from when the agreement is to apply.")]
    if errors:
        raise RegisterError(errors)
    return do_create_agreement(
        acting_user=acting_user, party=party, reference=terms.reference, valid_from=terms.valid_from,
        valid_to=terms.valid_to, commitments=intakes.commitment_data(intake), glossary=intakes.glossary_of(intake),
        role=Agreement.Role.CUSTOMER if party.is_customer or not party.is_supplier else Agreement.Role.SUPPLIER,
        currency=intake.currency, timezone=party.timezone or settings.TIME_ZONE, title=intake.title[:200],
        description=intake.goal, owner=intake.owner,
    )


def _extend_agreement(intake: Intake, terms: DraftTerms, acting_user) -> Agreement:
    """Add the intake's promises and terms to its agreement: in place while a draft, else as an amendment."""
    agreement = intake.agreement
    glossary = {g.term: g.definition for g in agreement.glossary.all()} | intakes.glossary_of(intake)
    if agreement.status == Agreement.Status.DRAFT:
        for data in intakes.commitment_data(intake):
            do_save_commitment(agreement, data, acting_user=acting_user, expected_revision=None)
        do_save_glossary(agreement, glossary, acting_user=acting_user, expected_revision=None)
        return agreement
    if terms.valid_from is None:
        raise RegisterError({"valid_from": [_("Say from when the change of %(agreement)s takes effect.")
                                            % {"agreement": agreement.reference}]})
    do_amend_agreement(
        agreement, acting_user=acting_user, expected_revision=None, commitments=intakes.commitment_data(intake),
        glossary=glossary, amendment=VersionInfo(
            effective_from=terms.valid_from, summary=_("Accepted request: %(title)s") % {"title": intake.title},
            reason=intake.goal, agreed_by=intake.party.name),
    )
    return agreement


def _accept(intake: Intake, terms: DraftTerms | None, acting_user) -> Agreement:
    """The agreement text an accepted intake becomes (see pacta.core.intake), with its clarification as a note."""
    if intake.party is None:
        raise RegisterError({"party": [_("Record %(prospect)s as a party first, then choose it in the intake.")
                                       % {"prospect": intake.prospect_name or _("the prospect")}]})
    _cleaned, errors = intakes.clean_proposed_commitments(intake.proposed_commitments)
    if errors:
        raise RegisterError(errors)
    terms = terms or DraftTerms()
    agreement = _new_agreement(intake, terms, acting_user) if intake.agreement is None else \
        _extend_agreement(intake, terms, acting_user)
    do_add_note(agreement, acting_user=acting_user, date=clock.local_today(agreement.timezone),
                text=intakes.clarification_note(intake))
    return agreement


def _fresh(intake: Intake) -> Intake:
    """A copy to decide on: a refused acceptance (its agreement could not be made)
    rolls back, and leaves the caller's object as it was read."""
    return Intake.objects.select_related("party", "agreement", "owner").get(pk=intake.pk)


def _decided(intake: Intake, status: str, acting_user) -> None:
    intake.status, intake.decided_by, intake.decided_at = status, _user(acting_user), clock.now()


@transaction.atomic
def do_decide_intake(intake: Intake, *, acting_user, expected_revision: int | None, decision: str,
                     reason: str = "", counter_offer: str = "", terms: DraftTerms | None = None) -> Intake:
    """Record the decision on an intake waiting for one.

    - accept: the intake becomes agreement text (`terms`: the new draft
      agreement's reference and validity, or an amendment's effective date);
    - decline: `reason` is required;
    - counter: `counter_offer` ("not this, but we can …") is required; it can
      be accepted later (`do_accept_counter_offer`).

    Returns the decided intake as stored (a copy: the object passed in is left as read).
    """
    if intake.status != Intake.Status.AWAITING_DECISION:
        raise RegisterError({"": [_("Only an intake awaiting a decision can be decided.")]})
    reason, counter_offer = (reason or "").strip(), (counter_offer or "").strip()
    if decision == intakes.Decision.DECLINE and not reason:
        raise RegisterError({"reason": [_("Say why the request is declined.")]})
    if decision == intakes.Decision.COUNTER and not counter_offer:
        raise RegisterError({"counter_offer": [_("Say what we can do instead.")]})
    if decision not in (intakes.Decision.ACCEPT, intakes.Decision.DECLINE, intakes.Decision.COUNTER):
        raise RegisterError({"decision": [_("Choose accept, decline or counter-offer.")]})
    intake = _fresh(intake)
    claim_revision(Intake, intake, expected_revision)
    old = intake.status
    intake.decision_reason = reason
    if decision == intakes.Decision.COUNTER:
        intake.counter_offer = counter_offer
        _decided(intake, Intake.Status.COUNTERED, acting_user)
    elif decision == intakes.Decision.DECLINE:
        _decided(intake, Intake.Status.DECLINED, acting_user)
    else:
        intake.agreement = _accept(intake, terms, acting_user)
        _decided(intake, Intake.Status.ACCEPTED, acting_user)
    intake.save()
    audit(acting_user, f"{decision}_intake", intake, party=intake.party, agreement=intake.agreement,
          changes={"status": [old, intake.status], "reason": reason, "counter_offer": intake.counter_offer,
                   "agreement": intake.agreement.reference if intake.agreement else None})
    return intake


@transaction.atomic
def do_accept_counter_offer(intake: Intake, *, acting_user, expected_revision: int | None,
                            terms: DraftTerms | None = None) -> Intake:
    """The customer took our counter-offer: the intake (its proposal as edited to what
    we can do) becomes agreement text like an accepted one."""
    if intake.status != Intake.Status.COUNTERED:
        raise RegisterError({"": [_("Only a counter-offer can be accepted.")]})
    intake = _fresh(intake)
    claim_revision(Intake, intake, expected_revision)
    intake.agreement = _accept(intake, terms, acting_user)
    _decided(intake, Intake.Status.ACCEPTED, acting_user)
    intake.save()
    audit(acting_user, "accept_counter_offer", intake, party=intake.party, agreement=intake.agreement,
          changes={"status": [Intake.Status.COUNTERED, intake.status], "agreement": intake.agreement.reference})
    return intake


# ---------------------------------------------------------------------------
# Status updates


def _require_draft(update: StatusUpdate) -> None:
    if update.status != StatusUpdate.Status.DRAFT:
        raise RegisterError({"": [_("This update was sent; it can no longer be changed.")]})


@transaction.atomic
def do_compose_update(party: Party, *, acting_user, now: dt.datetime | None = None) -> StatusUpdate:
    """A new draft update for `party`, pre-filled as of `now` (pacta.core.updates.compose)."""
    content = updates.compose(party, now)
    update = StatusUpdate.objects.create(party=party, created_by=_user(acting_user), **content.fields())
    audit(acting_user, "compose_update", update, party=party, changes={"subject": update.subject})
    return update


def _check_update_fields(update: StatusUpdate, fields: dict) -> None:
    unknown = set(fields) - set(UPDATE_FIELDS)
    if unknown:
        raise TypeError(f"unknown status update fields: {sorted(unknown)}")
    errors = {}
    if "subject" in fields and not (fields["subject"] or "").strip():
        errors["subject"] = [_("This field is required.")]
    start = fields.get("period_start", update.period_start)
    end = fields.get("period_end", update.period_end)
    if start and end and end < start:
        errors["period_end"] = [_("The end must not be before the start.")]
    if fields.get("language") and fields["language"] not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the listed languages.")]
    if errors:
        raise RegisterError(errors)


@transaction.atomic
def do_save_update(update: StatusUpdate, *, acting_user, expected_revision: int | None, **fields) -> StatusUpdate:
    """Change a draft's text (anything of it; sent updates stay as they were sent)."""
    _require_draft(update)
    _check_update_fields(update, fields)
    return _save_fields(update, fields, acting_user, expected_revision, "change_update")


@transaction.atomic
def do_discard_update(update: StatusUpdate, *, acting_user, expected_revision: int | None) -> None:
    """Throw a draft away."""
    _require_draft(update)
    claim_revision(StatusUpdate, update, expected_revision)
    audit(acting_user, "discard_update", update, party=update.party, changes={"subject": update.subject})
    update.delete()


def _event_frame(external_id: str, kind: str, party: Party, at: dt.datetime, *, date_only: bool = False):
    row = {name: None for name in EVENT_SCHEMA}
    row.update(source=EVENT_SOURCE, id=external_id, kind=kind, party=party.code, at=at, date_only=date_only,
               due_date_only=False, force_majeure=False)
    return pl.DataFrame([row], schema=EVENT_SCHEMA)


def _record_event(external_id: str, kind: str, party: Party, at: dt.datetime, acting_user, *,
                  date_only: bool = False) -> Event:
    """Record one fact through the event pipeline (so the commitments it keeps are re-evaluated)."""
    do_import_events(_event_frame(external_id, kind, party, at, date_only=date_only), source=EVENT_SOURCE,
                     acting_user=acting_user)
    return Event.objects.get(source=EVENT_SOURCE, external_id=external_id)


def _queue_update_mail(update: StatusUpdate, contact, sender) -> OutboundMail:
    rendered = updates.render_mail(update, contact, sender)
    problem = emails.address_problem(contact.email)
    return OutboundMail.objects.create(
        kind=updates.MAIL_KIND, key=f"update:{update.pk}:{contact.pk}", to=(contact.email or "")[:254],
        language=rendered.language, subject=rendered.subject[:300], body_text=rendered.text, body_html=rendered.html,
        status=OutboundMail.Status.FAILED if problem else OutboundMail.Status.QUEUED, last_error=problem or "",
        next_attempt_at=None if problem else timezone.now(),
    )


def send_now(mail_ids: list[int]) -> None:
    """Try to send these queued mails at once; what fails waits in the outbox for the watcher's retries."""
    for pk in mail_ids:
        token = outbox.claim_mail(pk)
        if token is not None:
            outbox.deliver(OutboundMail.objects.get(pk=pk), token)


@transaction.atomic
def do_send_update(update: StatusUpdate, *, acting_user, expected_revision: int | None) -> StatusUpdate:
    """Send a draft to the party's contacts who receive status updates, in the update's language.

    In one transaction: one mail per recipient into the outbox (an address that
    cannot receive mail becomes a failed mail, shown on the dashboard), the
    `update` event recorded through the event pipeline (which re-evaluates the
    party's `recurring` update commitments) and linked, the update marked sent
    with its recipients. The mails are sent once the transaction is committed;
    the outbox retries what the SMTP server refuses for now.
    """
    _require_draft(update)
    party = update.party
    contacts = updates.recipients(party)
    if not updates.deliverable(contacts):
        raise RegisterError({"recipients": [
            _("No contact of %(party)s receives status updates at a valid e-mail address. Add one on the party's page.")
            % {"party": party.name}]})
    claim_revision(StatusUpdate, update, expected_revision)
    now = clock.now()
    update.status, update.sent_at, update.sent_by = StatusUpdate.Status.SENT, now, _user(acting_user)
    update.language = update.language or updates.party_language(party)
    update.recipients = [{"name": c.name, "email": c.email} for c in contacts]
    mails = [_queue_update_mail(update, c, acting_user) for c in contacts]
    update.event = _record_event(f"status-update-{update.pk}", updates.UPDATE_KIND, party, now, acting_user)
    update.save()
    audit(acting_user, "send_update", update, party=party, changes={
        "recipients": [c.email for c in contacts], "event": update.event.external_id})
    queued = [m.pk for m in mails if m.status == OutboundMail.Status.QUEUED]
    transaction.on_commit(lambda: send_now(queued))
    return update


def update_mails(update: StatusUpdate):
    """The outbox rows of a sent update (one per recipient), with their delivery state."""
    return OutboundMail.objects.filter(kind=updates.MAIL_KIND, key__startswith=f"update:{update.pk}:").order_by("to")


@transaction.atomic
def do_prepare_due_updates(*, acting_user=None, now: dt.datetime | None = None,
                           within: dt.timedelta = dt.timedelta(days=7)) -> list[StatusUpdate]:
    """Have a draft ready for every party whose next update is due within `within` of `now` (or overdue).

    A party with a draft nobody has edited yet gets it composed afresh; a draft
    somebody edited is left as it is. Returns the drafts composed or refreshed.
    """
    now = now or clock.now()
    prepared = []
    due = {pk: nu for pk, nu in updates.next_updates_due(now).items() if nu.due <= now + within}
    for party in Party.objects.filter(pk__in=list(due)).order_by("code"):
        draft = updates.open_draft(party)
        if draft is None:
            prepared.append(do_compose_update(party, acting_user=acting_user, now=now))
        elif draft.revision == 1:
            content = updates.compose(party, now)
            for name, value in content.fields().items():
                setattr(draft, name, value)
            draft.save()
            audit(acting_user, "recompose_update", draft, party=party, changes={"subject": draft.subject})
            prepared.append(draft)
    return prepared


# ---------------------------------------------------------------------------
# Check-ins


@transaction.atomic
def do_record_check_in(party: Party, *, acting_user, date: dt.date, participants: str = "", went_well: str = "",
                       went_badly: str = "", changes: str = "") -> CheckIn:
    """Record a check-in with the customer, like a retrospective: what went well,
    what did not, what we change. It is a `meeting` event too (whole day), so a
    `recurring` commitment with `kind: meeting` is kept by it."""
    texts = {"went_well": went_well.strip(), "went_badly": went_badly.strip(), "changes": changes.strip()}
    if not any(texts.values()):
        raise RegisterError({"went_well": [_("Write down at least what went well, what did not, or what we change.")]})
    if date > clock.local_today(updates.party_timezone(party)):
        raise RegisterError({"date": [_("A check-in is recorded once it took place; this date is in the future.")]})
    check_in = CheckIn.objects.create(party=party, date=date, participants=participants.strip(),
                                      created_by=_user(acting_user), **texts)
    _record_event(f"check-in-{check_in.pk}", "meeting", party, date_to_utc_midnight(date), acting_user,
                  date_only=True)
    audit(acting_user, "record_check_in", check_in, party=party,
          changes={"date": date, "participants": check_in.participants})
    return check_in


__all__ = [
    "ConflictError",
    "DraftTerms",
    "RegisterError",
    "do_accept_counter_offer",
    "do_compose_update",
    "do_create_intake",
    "do_decide_intake",
    "do_discard_update",
    "do_prepare_due_updates",
    "do_record_check_in",
    "do_save_update",
    "do_send_update",
    "do_submit_intake",
    "do_update_intake",
    "update_mails",
]
