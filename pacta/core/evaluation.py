"""Database mode: the engine run over the register and the event log.

`evaluate_and_store()` builds the engine's specs from the stored commitments
(every version's terms, waivers, pauses), loads their parties' events, calls
the pure `pacta.core.engine.evaluate`, and writes the verdicts back as the
commitments' cached columns and their `Instance` rows (models.py: "status is
computed, not stored"; this is the cache).

Rules (docs/evaluation.md):

- Commitments of **draft** agreements are not evaluated: a draft binds
  nobody yet. Their cache is left as it is, and the summary counts them.
  Suspended and ended agreements are evaluated: their record still counts.
- An instance whose deadline is a whole day is stored with `due` at the end
  of that day in the agreement's time zone (the moment it passes), and a
  date-only `done` at the start of its day.
- Work goes in batches of commitments of the same parties, each written in
  one transaction; a crash leaves every batch either fully old or fully new.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from pacta.core.commitments import REGISTRY, Spec, validate_params
from pacta.core.commitments.base import EVENT_SCHEMA, Result, money_to_json
from pacta.core.models import (
    Agreement,
    AgreementVersion,
    Commitment,
    CommitmentTerms,
    Event,
    Instance,
    Party,
    Pause,
    Waiver,
)
from pacta.core.specs import HistoryEntry, build_segments
from pacta.lib.dates import end_of_day, start_of_day

BATCH_SIZE = 1000  # commitments per transaction
FETCH_SIZE = 100_000  # event rows per round trip
INSERT_CHUNK = 5_000  # instance rows per executemany, ids per DELETE


@dataclass
class EvaluationSummary:
    """What one evaluation did."""

    as_of: dt.datetime
    evaluated: int = 0
    instances: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped_drafts: int = 0
    # Commitments whose stored terms no longer validate: "REF/key: field: message".
    errors: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Specs from the register


def _commitments_for_specs(ids: Iterable[int]) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(pk__in=list(ids))
        .select_related("agreement__party", "removed_in")
        .order_by("agreement__party__code", "agreement__reference", "key")
    )


def _histories(commitments: list[Commitment], errors: list[str]) -> dict[int, list[HistoryEntry]]:
    """Each commitment's terms version by version (one query), then its removal.
    A commitment whose stored parameters do not validate gets no history."""
    by_pk = {c.pk: c for c in commitments}
    histories: dict[int, list[HistoryEntry]] = defaultdict(list)
    broken: set[int] = set()
    rows = (
        CommitmentTerms.objects.filter(commitment_id__in=list(by_pk)).order_by("commitment_id", "version__number")
        .values_list("commitment_id", "title", "params", "products", "valid_from", "valid_to",
                     "version__number", "version__effective_from")
    )
    for pk, title, data, products, valid_from, valid_to, number, effective_from in rows:
        if pk in broken:
            continue
        params, problems = validate_params(by_pk[pk].type, data)
        if problems:
            errors += [f"{by_pk[pk]}: {p.field or 'params'}: {p.message}" for p in problems]
            broken.add(pk)
            histories.pop(pk, None)
            continue
        histories[pk].append(HistoryEntry(
            version=number, effective_from=effective_from, title=title, params=params,
            products=tuple(str(p) for p in products or ()), valid_from=valid_from, valid_to=valid_to,
        ))
    for pk, history in histories.items():
        removed = by_pk[pk].removed_in
        if removed is not None:
            history.append(HistoryEntry(version=removed.number, effective_from=removed.effective_from))
    return histories


def specs_from_db(commitments: Iterable[Commitment], *, errors: list[str] | None = None) -> list[Spec]:
    """Engine specs for stored commitments, in the order given.

    Each version's `CommitmentTerms` becomes a terms segment, `removed_in` a
    removal, `Waiver` rows the spec's waivers and the agreement's `Pause`
    rows its pauses. Commitments of an unknown type or whose stored
    parameters no longer validate are left out and described in `errors`.
    Pass commitments loaded with their terms, waivers and agreement (as
    `evaluate_and_store` does) to avoid a query per commitment.
    """
    return [spec for _c, spec in _pair_specs(list(commitments), errors if errors is not None else [])]


def _pair_specs(commitments: list[Commitment], errors: list[str]) -> list[tuple[Commitment, Spec]]:
    agreement_ids = {c.agreement_id for c in commitments}
    first_versions = dict(
        AgreementVersion.objects.filter(agreement_id__in=agreement_ids)
        .values("agreement_id").annotate(first=Min("number")).values_list("agreement_id", "first")
    )
    pauses: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
    for agreement_id, start, end in Pause.objects.filter(agreement_id__in=agreement_ids).order_by("start") \
            .values_list("agreement_id", "start", "end"):
        pauses[agreement_id].append((start, end))
    waivers: dict[int, set[str]] = defaultdict(set)
    for pk, key in Waiver.objects.filter(commitment_id__in=[c.pk for c in commitments]) \
            .values_list("commitment_id", "instance_key"):
        waivers[pk].add(key)
    known = [c for c in commitments if c.type in REGISTRY]
    errors += [f"{c}: type: {c.type}" for c in commitments if c.type not in REGISTRY]
    histories = _histories(known, errors)
    pairs = []
    for c in known:
        if not histories.get(c.pk):
            continue
        agreement = c.agreement
        pairs.append((c, Spec(
            agreement=agreement.reference, party=agreement.party.code, role=agreement.role,
            currency=agreement.currency, timezone=agreement.timezone, country=agreement.holiday_country or "",
            agreement_from=agreement.valid_from, agreement_to=agreement.valid_to,
            commitment=c.key, type=c.type,
            segments=build_segments(histories[c.pk], first_version=first_versions.get(c.agreement_id, 1)),
            waivers=frozenset(waivers[c.pk]),
            pauses=tuple(pauses.get(c.agreement_id, ())),
        )))
    return pairs


# ---------------------------------------------------------------------------
# Events from the log


def _event_sql(where: str) -> str:
    event, party = Event._meta.db_table, Party._meta.db_table
    # Numbers and moments come as text and are parsed by polars: building a
    # Decimal and a datetime per value in Python would dominate the load.
    return f"""
        SELECT e.source, e.external_id, e.kind, p.code, CAST(e.at AS TEXT),
               CASE WHEN e.date_only THEN 1 ELSE 0 END, e.ref, e.product,
               CAST(e.quantity AS TEXT), CAST(e.unit_price AS TEXT), CAST(e.discount AS TEXT),
               CAST(e.list_price AS TEXT), CAST(e.amount AS TEXT), e.currency, CAST(e.due AS TEXT),
               CASE WHEN e.due_date_only THEN 1 ELSE 0 END, CASE WHEN e.force_majeure THEN 1 ELSE 0 END
        FROM {event} e JOIN {party} p ON p.id = e.party_id
        WHERE {where}"""


_TEXT_SCHEMA = {name: pl.Utf8 for name in EVENT_SCHEMA}
_TEXT_SCHEMA.update(date_only=pl.Int8, due_date_only=pl.Int8, force_majeure=pl.Int8)


def _moment_from_text(name: str) -> pl.Expr:
    # SQLite keeps "2025-03-01 09:30:00[.ffffff]" in UTC; PostgreSQL (in UTC)
    # prints "2025-03-01 09:30:00[.ffffff]+00".
    text = pl.col(name).str.replace(r"(\+00(:00)?|Z)$", "")
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC").alias(name)


def _frame_from_rows(rows: list[tuple]) -> pl.DataFrame:
    raw = pl.DataFrame(rows, schema=_TEXT_SCHEMA, orient="row")
    return raw.with_columns(
        _moment_from_text("at"), _moment_from_text("due"),
        *(pl.col(n).cast(pl.Boolean) for n in ("date_only", "due_date_only", "force_majeure")),
        *(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in ("ref", "product", "currency")),
    ).cast(EVENT_SCHEMA)


def select_events(where: str = "1 = 1", params: Iterable = ()) -> pl.DataFrame:
    """Stored events as an `EVENT_SCHEMA` frame (empty text as null). `where`
    is SQL over the aliases `e` (event) and `p` (party) with %s placeholders."""
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(_event_sql(where), list(params))
        while rows := cursor.fetchmany(FETCH_SIZE):
            chunks.append(_frame_from_rows(rows))
    if not chunks:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    return pl.concat(chunks, rechunk=True)


def events_frame(parties: Iterable[str] | None, as_of: dt.datetime | None) -> pl.DataFrame:
    """The stored events of `parties` (party codes; None: every party) as an
    `EVENT_SCHEMA` frame, empty text as null.

    With `as_of`, only events up to a day after it: the engine decides what
    was known at `as_of` (a date-only fact counts from the start of its local
    day, which may be after `as_of` in UTC); the margin keeps those facts.
    """
    where, params = ["1 = 1"], []
    if parties is not None:
        codes = sorted(set(parties))
        if not codes:
            return pl.DataFrame(schema=EVENT_SCHEMA)
        where.append(f"p.code IN ({', '.join(['%s'] * len(codes))})")
        params += codes
    if as_of is not None:
        where.append("e.at <= %s")
        params.append(connection.ops.adapt_datetimefield_value(as_of + dt.timedelta(days=1)))
    return select_events(" AND ".join(where), params)


# ---------------------------------------------------------------------------
# Storing the verdicts


@lru_cache(maxsize=4096)
def _day_bound(day: dt.date, tz: str, end: bool) -> tuple[dt.datetime, str]:
    moment = end_of_day(day, tz) if end else start_of_day(day, tz)
    return moment, _utc_text(moment)


def _moment_and_text(value: dt.date | dt.datetime | None, tz: str, *, end: bool
                     ) -> tuple[dt.datetime | None, str | None]:
    """An instance's due or done as an aware moment and as SQLite's text. A
    whole day is stored as its last moment (due) or its first (done)."""
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        return value, _utc_text(value)
    return _day_bound(value, tz, end)


_INSTANCE_COLUMNS = ("commitment_id", "key", "status", "health", "due", "done", "days_late", "money", "explanation")
_COMMITMENT_COLUMNS = ("status", "counts", "money", "explanation", "evaluated_at", "as_of", "next_check_at")


def _utc_text(value: dt.datetime) -> str:
    """A moment as the text SQLite holds (what Django's adapter writes), without the adapter's per-call checks."""
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")


def _canonical_moment(text: str | None) -> str | None:
    # Stored text: SQLite "2025-03-06 22:59:59[.999999]", PostgreSQL "...[.999999]+00".
    if text is None:
        return None
    text = text.replace("T", " ")[:26].split("+")[0]
    return text if len(text) == 26 else text + ".000000"


def _canonical_money(text: str | None) -> list:
    return [] if not text or text == "[]" else json.loads(text)


class _Verdicts:
    """One batch's verdicts as rows for the database, and what changed against the stored rows."""

    def __init__(self, pairs: list[tuple[Commitment, Spec, Result]], as_of: dt.datetime, now: dt.datetime,
                 errors: list[str]):
        ops = connection.ops
        # SQLite keeps moments as text, PostgreSQL takes the datetime itself.
        self.text_moments = connection.vendor == "sqlite"
        self.json = lambda value: ops.adapt_json_value(value, None)
        self.no_money = self.json([])
        self.instances: dict[tuple[int, str], tuple[tuple, tuple]] = {}  # (commitment, key) -> (row, signature)
        for commitment, spec, result in pairs:
            for inst in result.instances:
                if (commitment.pk, inst.key) in self.instances:
                    errors.append(f"{commitment}: instance {inst.key} given twice; kept the first")
                    continue
                self.instances[commitment.pk, inst.key] = self._instance(commitment.pk, spec.timezone, inst)
        self.commitments = [
            (r.status, self.json(r.counts), self._money([money_to_json(m) for m in r.money]), r.explanation,
             self._db_moment(now), self._db_moment(as_of), self._db_moment(r.next_check_at), c.pk)
            for c, _s, r in pairs
        ]

    def _db_moment(self, value: dt.datetime | None):
        if value is None or not self.text_moments:
            return value
        return _utc_text(value)

    def _money(self, money: list[dict]):
        return self.json(money) if money else self.no_money

    def _instance(self, commitment_id: int, tz: str, inst) -> tuple[tuple, tuple]:
        due, due_text = _moment_and_text(inst.due, tz, end=True)
        done, done_text = _moment_and_text(inst.done, tz, end=False)
        status = getattr(inst.status, "value", inst.status)
        health = getattr(inst.health, "value", inst.health) or ""
        money = [money_to_json(m) for m in inst.money] if inst.money else []
        if self.text_moments:
            # SQLite returns exactly the text written (by us or by the ORM): the row is its own signature.
            row = (commitment_id, inst.key, status, health, due_text, done_text, inst.days_late,
                   self._money(money), inst.explanation)
            return row, row[2:]
        row = (commitment_id, inst.key, status, health, due, done, inst.days_late, self._money(money),
               inst.explanation)
        return row, (status, health, _canonical_moment(due_text), _canonical_moment(done_text), inst.days_late,
                     money, inst.explanation)

    def changes(self, stored: dict[tuple[int, str], tuple[int, tuple]]) -> tuple[list[int], list[tuple]]:
        """(ids of stored rows to delete, rows to insert): only what differs is rewritten."""
        drop = [pk for key, (pk, signature) in stored.items()
                if key not in self.instances or self.instances[key][1] != signature]
        add = [row for key, (row, signature) in self.instances.items()
               if key not in stored or stored[key][1] != signature]
        return drop, add


def _stored_instances(cursor, ids: list[int]) -> dict[tuple[int, str], tuple[int, tuple]]:
    """The stored instances of these commitments: (commitment, key) -> (id, signature), the
    signature comparable with `_Verdicts`' (SQLite: the stored text; PostgreSQL: canonical values)."""
    cursor.execute(
        "SELECT id, commitment_id, {key}, status, health, CAST(due AS TEXT), CAST(done AS TEXT), days_late, "
        "CAST(money AS TEXT), explanation FROM {table} WHERE commitment_id IN ({ids})".format(
            key=connection.ops.quote_name("key"), table=Instance._meta.db_table, ids=", ".join(["%s"] * len(ids))),
        ids,
    )
    if connection.vendor == "sqlite":
        return {(row[1], row[2]): (row[0], row[3:]) for row in cursor.fetchall()}
    return {
        (cid, key): (pk, (status, health, _canonical_moment(due), _canonical_moment(done), days_late,
                          _canonical_money(money), explanation))
        for pk, cid, key, status, health, due, done, days_late, money, explanation in cursor.fetchall()
    }


def _store(pairs: list[tuple[Commitment, Spec, Result]], as_of: dt.datetime, now: dt.datetime,
           summary: EvaluationSummary) -> None:
    """Write the verdicts of one batch in one transaction: the commitments'
    cache, their instances (only the rows that changed are rewritten), and
    the deviations the watcher reads (pacta.core.watch: snapshot before,
    changes recorded after).

    Plain SQL: the ORM's bulk_update builds a CASE per row and field, which
    costs more than the evaluation itself.
    """
    from pacta.core.watch import record_evaluation_changes, take_snapshots

    ops = connection.ops
    ids = [c.pk for c, _s, _r in pairs]
    verdicts = _Verdicts(pairs, as_of, now, summary.errors)
    table = Instance._meta.db_table
    insert = "INSERT INTO {} ({}) VALUES ({})".format(
        table, ", ".join(ops.quote_name(c) for c in _INSTANCE_COLUMNS), ", ".join(["%s"] * len(_INSTANCE_COLUMNS)))
    update = "UPDATE {} SET {} WHERE id = %s".format(
        Commitment._meta.db_table, ", ".join(f"{ops.quote_name(c)} = %s" for c in _COMMITMENT_COLUMNS))
    with transaction.atomic():
        before = take_snapshots(ids)
        with connection.cursor() as cursor:
            drop, add = verdicts.changes(_stored_instances(cursor, ids))
            for start in range(0, len(drop), INSERT_CHUNK):
                part = drop[start:start + INSERT_CHUNK]
                cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})", part)
            for start in range(0, len(add), INSERT_CHUNK):
                cursor.executemany(insert, add[start:start + INSERT_CHUNK])
            cursor.executemany(update, verdicts.commitments)
        record_evaluation_changes(before, [(c, r) for c, _s, r in pairs], at=as_of)
    summary.instances += len(verdicts.instances)


def _evaluate_batch(pairs: list[tuple[Commitment, Spec]], as_of: dt.datetime, now: dt.datetime,
                    summary: EvaluationSummary) -> None:
    from pacta.core.engine import evaluate

    specs = [spec for _c, spec in pairs]
    results = evaluate(specs, events_frame({s.party for s in specs}, as_of), as_of)
    _store([(c, s, r) for (c, s), r in zip(pairs, results, strict=True)], as_of, now, summary)
    summary.evaluated += len(results)
    for result in results:
        summary.statuses[result.status] += 1
    summary.results += results


def evaluate_and_store(*, commitments: Iterable[Commitment] | QuerySet | None = None,
                       as_of: dt.datetime | None = None, batch_size: int = BATCH_SIZE,
                       progress: Callable[[int, int], None] | None = None) -> EvaluationSummary:
    """Evaluate the given commitments (default: every stored one) as of `as_of`
    (default: now) and store the verdicts. Drafts are skipped and counted.
    `progress(done, total)` is called after each batch.

    Returns an `EvaluationSummary` whose `results` are the engine's Results,
    ordered by party, agreement and commitment.
    """
    as_of = as_of or timezone.now()
    if timezone.is_naive(as_of):
        raise ValueError("as_of must be timezone-aware")
    summary = EvaluationSummary(as_of=as_of)
    if commitments is None:
        queryset = Commitment.objects.all()
    elif isinstance(commitments, QuerySet):
        queryset = commitments
    else:
        queryset = Commitment.objects.filter(pk__in=[c.pk for c in commitments])
    drafts = Q(agreement__status=Agreement.Status.DRAFT)
    summary.skipped_drafts = queryset.filter(drafts).count()
    ids = list(queryset.exclude(drafts).order_by("agreement__party__code", "agreement__reference", "key")
               .values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), batch_size):
        loaded = list(_commitments_for_specs(ids[start:start + batch_size]))
        pairs = _pair_specs(loaded, summary.errors)
        if pairs:
            _evaluate_batch(pairs, as_of, now, summary)
        if progress:
            progress(min(start + batch_size, len(ids)), len(ids))
    summary.statuses = dict(summary.statuses)
    return summary


def touched_commitments(party_ids: Iterable[int], kinds: Iterable[str]) -> QuerySet[Commitment]:
    """The commitments that new events of `kinds` for the parties `party_ids`
    (Party primary keys) can change: their agreement's party is one of them
    and their type reads one of the kinds for the agreement's role."""
    kinds = set(kinds)
    reads = Q()
    for name, ctype in REGISTRY.items():
        for role in Agreement.Role.values:
            if kinds & set(ctype.kinds_read(role)):
                reads |= Q(type=name, agreement__role=role)
    if not reads:
        return Commitment.objects.none()
    return Commitment.objects.filter(reads, agreement__party_id__in=list(party_ids))


def reevaluate_touched(party_ids: Iterable[int], kinds: Iterable[str], *,
                       as_of: dt.datetime | None = None) -> EvaluationSummary:
    """Evaluate and store only the commitments that the new events can change."""
    return evaluate_and_store(commitments=touched_commitments(party_ids, kinds), as_of=as_of)
