"""Customer status updates: what a draft says, when the next one is due, the mail.

"Selbst, wenn es nichts Neues zu berichten gibt, hilft immer ein kurzes Update":
a party hears from us on a cadence, even when nothing is new. The cadence is
itself a commitment: `recurring` with `kind: update` (COMMITMENTS.md), kept by
the `update` event that sending an update records.

Composing (`compose`) judges the party's commitments afresh with the pure
engine, as of the moment of composing and in the party's language (the
engine's explanations are written in the active language; the cached ones
are in whatever language the last evaluation ran in). Commitments of
agreements in force or suspended count; drafts bind nobody yet. What goes
where:

- *topics*: one line per agreement with its promises' counts by status;
  "nothing new" when no section has anything to say;
- *kept*: our promises (direction "we owe" or not set) with instances kept
  since the last update was sent (ever, before the first one);
- *at risk, and why*: our open instances at risk, with the engine's reason;
- *challenges*: our overdue instances, and those broken or kept late since
  the last update;
- *open points*: the open actions on the party's commitments, and what the
  party owes us that is overdue or was broken since the last update;
- *what comes next*: open instances due in the next `NEXT_STEPS_DAYS` days,
  and the next update.

The writes (compose a draft, save, send, prepare drafts that fall due) are in
`pacta.core.actions.engagement`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.db import connection
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from pacta.core.commitments import Spec
from pacta.core.commitments.base import EVENT_SCHEMA, InstanceResult, Result
from pacta.core.evaluation import events_frame, select_events, specs_from_db
from pacta.core.models import Action, Agreement, Commitment, Contact, Direction, Party, StatusUpdate
from pacta.lib import clock, emails
from pacta.lib.dates import end_of_day, start_of_day

# Agreements whose promises an update reports on.
REPORTED = (Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED)
NEXT_STEPS_DAYS = 30
MAX_LINES = 12  # per section; the rest is counted ("… and 4 more")
UPDATE_KIND = "update"
MAIL_NAME = "status-update"  # emails/status-update-{subject,body-text,body-html}
# OutboundMail.kind of a status update's mails (one row per recipient).
MAIL_KIND = "update"


def party_language(party: Party) -> str:
    """The party's language when pacta speaks it (its base language: "de" for "de-AT"), else the default."""
    available = dict(settings.LANGUAGES)
    for code in (party.language, (party.language or "").split("-")[0]):
        if code in available:
            return code
    return settings.LANGUAGE_CODE


def party_timezone(party: Party) -> str:
    return party.timezone or settings.TIME_ZONE


def _moment(value: dt.date | dt.datetime | None, tz: str, *, end: bool) -> dt.datetime | None:
    """An instance's date or moment as an aware moment (a day: its first or last instant)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return end_of_day(value, tz) if end else start_of_day(value, tz)


def _day(value: dt.date | dt.datetime, tz: str) -> str:
    """A due date or moment as the active language writes a date (local to `tz`)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(clock.zone(tz)).date()
    return formats.date_format(value, "DATE_FORMAT")


# ---------------------------------------------------------------------------
# The cadence: when the next update is due


@dataclass(frozen=True)
class NextUpdate:
    """The next update a party is owed under its `recurring` update commitment."""

    party_id: int
    commitment: Commitment
    due: dt.datetime  # aware; a due day is its last instant
    overdue: bool


def _latest_params(commitment: Commitment) -> dict:
    terms = sorted(commitment.terms.all(), key=lambda t: t.version.number)
    return terms[-1].params if terms else {}


def cadence_commitments(party_ids=None) -> list[Commitment]:
    """The `recurring` commitments with `kind: update` (latest terms) of agreements
    in force or suspended; of the parties `party_ids` (primary keys) when given."""
    qs = (Commitment.objects.filter(type="recurring", removed_in__isnull=True, agreement__status__in=REPORTED)
          .select_related("agreement__party", "removed_in").prefetch_related("terms__version")
          .order_by("agreement__party__code", "agreement__reference", "key"))
    if party_ids is not None:
        qs = qs.filter(agreement__party_id__in=list(party_ids))
    return [c for c in qs if _latest_params(c).get("kind") == UPDATE_KIND]


def _update_events(codes: list[str], as_of: dt.datetime):
    """The `update` events of these parties known by `as_of` (a day's margin: see `events_frame`)."""
    where = f"e.kind = %s AND e.at <= %s AND p.code IN ({', '.join(['%s'] * len(codes))})"
    return select_events(where, [UPDATE_KIND, connection.ops.adapt_datetimefield_value(
        as_of + dt.timedelta(days=1)), *codes])


def _pending(spec: Spec, result: Result) -> list[tuple[dt.datetime, bool]]:
    """The due moments of a cadence's updates still owed (overdue or open)."""
    return [(_moment(i.due, spec.timezone, end=True), i.status == "overdue")
            for i in result.instances if i.status in ("open", "overdue") and i.due is not None]


def _sent_now(codes: list[str], now: dt.datetime) -> pl.DataFrame:
    """An `update` event for each party at `now`: the update being composed, as if it went out now."""
    rows = [{**dict.fromkeys(EVENT_SCHEMA), "source": "draft", "id": f"draft-{code}", "kind": UPDATE_KIND,
             "party": code, "at": now, "date_only": False, "due_date_only": False, "force_majeure": False}
            for code in codes]
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def next_updates_due(now: dt.datetime, party_ids=None, *, sent_now: bool = False) -> dict[int, NextUpdate]:
    """Per party (primary key) with an update cadence: the earliest update still owed as of `now`
    (with `sent_now`: the one after an update sent at `now`).

    The cadences are judged afresh by the engine over the parties' `update`
    events only, so a just-sent update counts at once.
    """
    from pacta.core.engine import evaluate

    cadences = cadence_commitments(party_ids)
    if not cadences:
        return {}
    by_key = {(c.agreement.reference, c.key): c for c in cadences}
    specs = specs_from_db(cadences)
    codes = sorted({c.agreement.party.code for c in cadences})
    events = _update_events(codes, now)
    if sent_now:
        events = pl.concat([events, _sent_now(codes, now)])
    found: dict[int, NextUpdate] = {}
    for spec, result in zip(specs, evaluate(specs, events, now), strict=True):
        commitment = by_key[spec.agreement, spec.commitment]
        party_id = commitment.agreement.party_id
        for due, overdue in _pending(spec, result):
            if party_id not in found or due < found[party_id].due:
                found[party_id] = NextUpdate(party_id, commitment, due, overdue)
    return found


def next_update_due(party: Party, now: dt.datetime, *, sent_now: bool = False) -> NextUpdate | None:
    """When `party`'s next status update is due (None: it has no update cadence);
    with `sent_now`, the one after an update sent at `now`."""
    return next_updates_due(now, [party.pk], sent_now=sent_now).get(party.pk)


def last_sent(party: Party) -> StatusUpdate | None:
    return party.status_updates.filter(status=StatusUpdate.Status.SENT).order_by("-sent_at", "-pk").first()


def open_draft(party: Party) -> StatusUpdate | None:
    """The party's draft waiting to be sent (the newest, if somebody made two)."""
    return party.status_updates.filter(status=StatusUpdate.Status.DRAFT).order_by("-created_at", "-pk").first()


# ---------------------------------------------------------------------------
# Composing


@dataclass
class UpdateContent:
    """What a new draft says: the fields of a `StatusUpdate`."""

    subject: str
    language: str
    period_start: dt.date | None
    period_end: dt.date
    topics: str = ""
    kept: str = ""
    at_risk: str = ""
    open_points: str = ""
    challenges: str = ""
    next_steps: str = ""

    def fields(self) -> dict:
        return {name: getattr(self, name) for name in (
            "subject", "language", "period_start", "period_end", "topics", "kept", "at_risk", "open_points",
            "challenges", "next_steps")}


@dataclass
class _Judged:
    """One commitment with its fresh verdict."""

    commitment: Commitment
    spec: Spec
    result: Result

    @property
    def title(self) -> str:
        return self.spec.terms.title or self.commitment.key

    @property
    def ours(self) -> bool:
        return self.commitment.direction != Direction.THEY_OWE

    @property
    def is_cadence(self) -> bool:
        """The update cadence itself: the update reports when the next one comes, not on itself."""
        return self.commitment.type == "recurring" and str(self.spec.terms.params.kind) == UPDATE_KIND


@dataclass
class _Lines:
    """A section's lines, at most MAX_LINES shown, sorted by a key."""

    items: list[tuple] = field(default_factory=list)

    def add(self, sort_key, text: str) -> None:
        self.items.append((sort_key, text))

    def text(self) -> str:
        ordered = [text for _key, text in sorted(self.items, key=lambda item: item[0])]
        shown = [f"- {line}" for line in ordered[:MAX_LINES]]
        if len(ordered) > MAX_LINES:
            rest = len(ordered) - MAX_LINES
            shown.append(ngettext("- … and %(n)s more", "- … and %(n)s more", rest) % {"n": rest})
        return "\n".join(shown)


def _judge(party: Party, now: dt.datetime) -> list[_Judged]:
    from pacta.core.engine import evaluate

    commitments = list(
        Commitment.objects.filter(agreement__party=party, agreement__status__in=REPORTED, removed_in__isnull=True)
        .select_related("agreement__party", "removed_in")
        .order_by("agreement__reference", "key")
    )
    by_key = {(c.agreement.reference, c.key): c for c in commitments}
    specs = specs_from_db(commitments)
    if not specs:
        return []
    results = evaluate(specs, events_frame([party.code], now), now)
    return [_Judged(by_key[s.agreement, s.commitment], s, r) for s, r in zip(specs, results, strict=True)]


def _since(inst: InstanceResult, tz: str, start: dt.datetime | None) -> bool:
    """Did the instance end (done, or its deadline passed) at or after `start` (None: ever)?"""
    moment = _moment(inst.done, tz, end=False) or _moment(inst.due, tz, end=True)
    return start is None or (moment is not None and moment >= start)


def _instance_line(j: _Judged, inst: InstanceResult) -> str:
    return _("%(title)s (%(key)s): %(explanation)s") % {
        "title": j.title, "key": inst.key, "explanation": inst.explanation.rstrip(".") + "."}


def _topics(judged: list[_Judged]) -> str:
    per_agreement: dict[Agreement, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for j in judged:
        per_agreement[j.commitment.agreement][j.result.status] += 1
    lines = _Lines()
    for agreement, counts in per_agreement.items():
        parts = [_("%(n)s %(status)s") % {"n": counts[s], "status": label}
                 for s, label in Commitment.Status.choices if counts.get(s)]
        n = sum(counts.values())
        lines.add(agreement.reference, ngettext(
            "%(agreement)s: %(n)s promise (%(counts)s)", "%(agreement)s: %(n)s promises (%(counts)s)", n,
        ) % {"agreement": agreement.title or agreement.reference, "n": n, "counts": ", ".join(parts)})
    return lines.text()


def _sections(judged: list[_Judged], party: Party, start: dt.datetime | None, now: dt.datetime,
              next_due: NextUpdate | None) -> dict[str, str]:
    kept, at_risk, challenges, theirs, upcoming = _Lines(), _Lines(), _Lines(), _Lines(), _Lines()
    horizon = now + dt.timedelta(days=NEXT_STEPS_DAYS)
    if next_due is not None:
        upcoming.add((next_due.due, "", ""), _("%(date)s: our next status update") % {
            "date": _day(next_due.due, party_timezone(party))})
    for j in (j for j in judged if not j.is_cadence):
        tz = j.spec.timezone
        kept_count = 0
        for inst in j.result.instances:
            due = _moment(inst.due, tz, end=True)
            sort_key = (due or now, j.title, inst.key)
            if inst.status == "kept" and _since(inst, tz, start):
                kept_count += 1
            elif inst.status == "open" and inst.health == "at_risk" and j.ours:
                at_risk.add(sort_key, _instance_line(j, inst))
            elif inst.status == "overdue" or (inst.status in ("broken", "kept_late") and _since(inst, tz, start)):
                (challenges if j.ours else theirs).add(sort_key, _instance_line(j, inst))
            if inst.status == "open" and due is not None and due <= horizon:
                upcoming.add(sort_key, _("%(date)s: %(title)s (%(key)s)") % {
                    "date": _day(inst.due, tz), "title": j.title, "key": inst.key})
        if kept_count and j.ours:
            kept.add(j.title, ngettext("%(title)s: kept %(n)s time", "%(title)s: kept %(n)s times", kept_count)
                     % {"title": j.title, "n": kept_count})
    open_points = _Lines()
    for action in _open_actions(party):
        open_points.add((start_of_day(action.due_on, party_timezone(party)), "", str(action.pk)), _("%(title)s (to do by %(date)s)") % {
            "title": action.title, "date": formats.date_format(action.due_on, "DATE_FORMAT")})
    open_points.items += theirs.items
    return {"kept": kept.text(), "at_risk": at_risk.text(), "challenges": challenges.text(),
            "open_points": open_points.text(), "next_steps": upcoming.text()}


def _open_actions(party: Party):
    return (Action.objects.filter(commitment__agreement__party=party, status__in=Action.OPEN_STATUSES,
                                  commitment__agreement__status__in=REPORTED)
            .order_by("due_on", "pk"))


def compose(party: Party, now: dt.datetime | None = None) -> UpdateContent:
    """A pre-filled status update for `party` as of `now` (default: the domain clock),
    written in the party's language. The period runs from the day the last update
    was sent (none before the first) to today."""
    now = now or clock.now()
    tz = party_timezone(party)
    previous = last_sent(party)
    start = previous.sent_at if previous is not None else None
    language = party_language(party)
    with translation.override(language):
        judged = _judge(party, now)
        # "What comes next" names the update after this one, as if this one went out now.
        sections = _sections(judged, party, start, now, next_update_due(party, now, sent_now=True))
        topics = _topics(judged)
        if not any(sections[name] for name in ("kept", "at_risk", "challenges", "open_points")):
            nothing = _("Nothing new since our last update: everything runs as agreed.") if previous else \
                _("Nothing to report yet: everything runs as agreed.")
            topics = "\n".join(filter(None, [nothing, topics]))
        today = clock.local_today(tz, now)
        subject = _("Status update for %(party)s, %(date)s") % {
            "party": party.name, "date": formats.date_format(today, "DATE_FORMAT")}
    return UpdateContent(
        subject=subject, language=language, topics=topics,
        period_start=start.astimezone(clock.zone(tz)).date() if start else None, period_end=today, **sections,
    )


# ---------------------------------------------------------------------------
# The mail


def recipients(party: Party) -> list[Contact]:
    """The party's contacts who receive status updates (with or without a usable address)."""
    return list(party.contacts.filter(receives_updates=True).order_by("name", "pk"))


def deliverable(contacts: list[Contact]) -> list[Contact]:
    return [c for c in contacts if emails.address_problem(c.email) is None]


# The sections of an update in the order it tells them, with their headings
# (lazy: translated when the mail or page is rendered, in its language).
SECTIONS = (
    ("kept", gettext_lazy("What we kept")),
    ("at_risk", gettext_lazy("What is at risk, and why")),
    ("challenges", gettext_lazy("Challenges")),
    ("open_points", gettext_lazy("Open points")),
    ("next_steps", gettext_lazy("What comes next")),
)


def sections_of(update: StatusUpdate) -> list[tuple]:
    """(heading, text) of each section that says something."""
    return [(heading, getattr(update, name).strip()) for name, heading in SECTIONS if getattr(update, name).strip()]


def mail_context(update: StatusUpdate, contact: Contact | None, sender) -> dict:
    """What the status-update mail templates read."""
    return {
        "update": update, "party": update.party, "contact": contact, "sections": sections_of(update),
        "sender_name": (sender.get_full_name() or sender.get_username()) if sender else "",
    }


def render_mail(update: StatusUpdate, contact: Contact | None, sender) -> emails.Rendered:
    """The update as one recipient reads it, in the update's language and the party's time zone."""
    return emails.render(MAIL_NAME, mail_context(update, contact, sender),
                         language=update.language or party_language(update.party), tz=party_timezone(update.party))


# ---------------------------------------------------------------------------
# The PDF


def _blocks(text: str) -> list:
    """A section's text as PDF blocks: "- " lines become bullets, other lines paragraphs."""
    from pacta.lib.pdf import Bullets, Paragraph

    blocks, items = [], []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(line[2:])
            continue
        if items:
            blocks.append(Bullets(items))
            items = []
        if line.strip():
            blocks.append(Paragraph(line))
    if items:
        blocks.append(Bullets(items))
    return blocks


def update_pdf(update: StatusUpdate) -> bytes:
    """The update as a PDF in its language: the same sections as the mail."""
    from pacta.lib.pdf import Heading, render_pdf

    with translation.override(update.language or party_language(update.party)):
        if update.period_start:
            subtitle = _("%(party)s · %(start)s to %(end)s") % {
                "party": update.party.name, "start": formats.date_format(update.period_start, "DATE_FORMAT"),
                "end": formats.date_format(update.period_end, "DATE_FORMAT")}
        else:
            subtitle = _("%(party)s · as of %(end)s") % {
                "party": update.party.name, "end": formats.date_format(update.period_end, "DATE_FORMAT")}
        blocks = _blocks(update.topics)
        for heading, text in sections_of(update):
            blocks += [Heading(str(heading), level=2), *_blocks(text)]
        return render_pdf(update.subject, blocks, subtitle=subtitle,
                          created=update.sent_at or update.updated_at)
