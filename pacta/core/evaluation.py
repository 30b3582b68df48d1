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
- Work goes in batches of commitments of the same parties (`BATCH_SIZE`),
  each evaluated at once and written in transactions of `STORE_SIZE`
  commitments; a crash leaves every transaction's commitments either fully
  old or fully new.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone, translation

from pacta.core.commitments import REGISTRY, Spec, validate_params
from pacta.core.commitments._scope import paused_gc
from pacta.core.commitments.base import EVENT_SCHEMA, UTC_DATETIME, InstanceResult, Result, money_to_json
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
from pacta.lib import clock
from pacta.lib.dates import end_of_day, start_of_day

BATCH_SIZE = 10_000  # commitments evaluated together (their parties' events read once; ~1 GB at 100 events each)
STORE_SIZE = 1000  # commitments whose verdicts are written in one transaction
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


# What `_pair_specs` and `_store` read of a commitment: building model objects of
# every field of three tables costs twice as much for thousands of commitments.
_SPEC_FIELDS = (
    "key", "type", "agreement_id", "removed_in__number", "removed_in__effective_from", "agreement__reference",
    "agreement__role", "agreement__currency", "agreement__timezone", "agreement__country", "agreement__valid_from",
    "agreement__valid_to", "agreement__party__code", "agreement__party__country",
)


def _commitments_for_specs(ids: Iterable[int]) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(pk__in=list(ids))
        .select_related("agreement__party", "removed_in").only(*_SPEC_FIELDS)
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


def _json_row(values: str) -> str:
    """SQL: the `values` (an SQL list) of a row as one JSON array, as text.

    Rows read in bulk come this way and polars splits and parses them
    (`_json_rows`): the driver would build a Python object per value, which for
    a million rows of 17 values costs more than anything done with them."""
    return f"json_array({values})" if connection.vendor == "sqlite" else f"CAST(json_build_array({values}) AS TEXT)"


def _json_rows(rows: list[tuple[str]], names: Iterable[str]) -> pl.DataFrame:
    """Rows of one `_json_row` each as a frame of text columns `names` (numbers as their text)."""
    names = list(names)
    if not rows:
        return pl.DataFrame(schema=dict.fromkeys(names, pl.Utf8))
    arrays = pl.Series("row", [r[0] for r in rows], dtype=pl.Utf8).str.json_decode(pl.List(pl.Utf8))
    return arrays.list.to_struct(fields=names).struct.unnest()


def _event_sql(where: str) -> str:
    event, party = Event._meta.db_table, Party._meta.db_table
    row = _json_row("""e.source, e.external_id, e.kind, p.code, CAST(e.at AS TEXT),
               CASE WHEN e.date_only THEN '1' ELSE '0' END, e.ref, e.product,
               CAST(e.quantity AS TEXT), CAST(e.unit_price AS TEXT), CAST(e.discount AS TEXT),
               CAST(e.list_price AS TEXT), CAST(e.amount AS TEXT), e.currency, CAST(e.due AS TEXT),
               CASE WHEN e.due_date_only THEN '1' ELSE '0' END, CASE WHEN e.force_majeure THEN '1' ELSE '0' END""")
    return f"SELECT {row} FROM {event} e JOIN {party} p ON p.id = e.party_id WHERE {where}"


def _moment_from_text(name: str) -> pl.Expr:
    # SQLite keeps "2025-03-01 09:30:00[.ffffff]" in UTC; PostgreSQL (in UTC)
    # prints "2025-03-01 09:30:00[.ffffff]+00".
    text = pl.col(name).str.replace(r"(\+00(:00)?|Z)$", "")
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC").alias(name)


def _frame_from_rows(rows: list[tuple[str]]) -> pl.DataFrame:
    """Rows of `_event_sql` as an `EVENT_SCHEMA` frame."""
    return _json_rows(rows, EVENT_SCHEMA).with_columns(
        _moment_from_text("at"), _moment_from_text("due"),
        *((pl.col(n) == "1").alias(n) for n in ("date_only", "due_date_only", "force_majeure")),
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
#
# A batch's verdicts become one polars frame (a row per instance) that is
# compared in polars with the stored rows, read once as text; only the rows
# that differ are deleted and inserted, with plain SQL. No ORM object and no
# Python dict per row: for half a million instances those cost more than the
# evaluation itself.

_INSTANCE_COLUMNS = ("commitment_id", "key", "status", "health", "due", "done", "days_late", "money", "explanation")
_COMMITMENT_COLUMNS = ("status", "counts", "money", "explanation", "evaluated_at", "as_of", "next_check_at")
_ROW_SCHEMA = {"commitment_id": pl.Int64, "key": pl.Utf8, "status": pl.Utf8, "health": pl.Utf8, "due": pl.Utf8,
               "done": pl.Utf8, "days_late": pl.Int64, "money": pl.Utf8, "explanation": pl.Utf8}
_STORED_SCHEMA = {"id": pl.Int64, **_ROW_SCHEMA}
_MONEY_ITEMS = pl.List(pl.Struct({"kind": pl.Utf8, "amount": pl.Utf8, "currency": pl.Utf8, "payer": pl.Utf8,
                                  "state": pl.Utf8}))
_NO_MONEY = "[]"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _day_bound(day: dt.date, tz: str, end: bool) -> int:
    return ((end_of_day(day, tz) if end else start_of_day(day, tz)) - _EPOCH) // _MICROSECOND


def _micros(value: dt.date | dt.datetime | None, tz: str, end: bool) -> int | None:
    """An instance's due or done as microseconds since the epoch (polars turns these into
    moments faster than aware datetimes): a whole day is stored as its last moment (due) or
    its first (done)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // _MICROSECOND
    return _day_bound(value, tz, end)


def _utc_text(name: str) -> pl.Expr:
    """A UTC moment column as the text Django's SQLite backend writes ("2025-03-06 22:59:59[.999999]"),
    which is also PostgreSQL's text of a timestamptz in UTC without its "+00"."""
    col = pl.col(name)
    return (pl.when(col.dt.microsecond() == 0).then(col.dt.strftime("%Y-%m-%d %H:%M:%S"))
            .otherwise(col.dt.strftime("%Y-%m-%d %H:%M:%S.%6f")).alias(name))


def _money_text(money: list) -> str:
    return json.dumps([money_to_json(m) for m in money]) if money else _NO_MONEY


class _Verdicts:
    """One batch's verdicts: `rows`, the instance rows as a frame (`_ROW_SCHEMA`, and `row`, the
    place of the instance in `instances`), and `commitments`, the rows of the commitments' cache."""

    def __init__(self, pairs: list[tuple[Commitment, Spec, Result]], as_of: dt.datetime, now: dt.datetime,
                 errors: list[str]):
        self.text_moments = connection.vendor == "sqlite"  # SQLite keeps moments as text
        self.instances: list[InstanceResult] = []
        columns: dict[str, list] = {name: [] for name in _ROW_SCHEMA}
        for commitment, spec, result in pairs:
            found, tz = result.instances, spec.timezone
            self.instances += found
            columns["commitment_id"] += [commitment.pk] * len(found)
            columns["key"] += [i.key for i in found]
            columns["status"] += [i.status for i in found]
            columns["health"] += [i.health or "" for i in found]
            columns["due"] += [_micros(i.due, tz, True) for i in found]
            columns["done"] += [_micros(i.done, tz, False) for i in found]
            columns["days_late"] += [i.days_late for i in found]
            columns["money"] += [_money_text(i.money) for i in found]
            columns["explanation"] += [i.explanation for i in found]
        moments = {name: pl.Int64 if name in ("due", "done") else dtype for name, dtype in _ROW_SCHEMA.items()}
        rows = pl.DataFrame({name: pl.Series(name, values, dtype=moments[name]) for name, values in columns.items()})
        rows = rows.with_columns(pl.col("due", "done").cast(UTC_DATETIME)).with_columns(
            _utc_text("due"), _utc_text("done"), pl.int_range(pl.len()).alias("row"))
        self.rows = self._first_of_each(rows, {c.pk: c for c, _s, _r in pairs}, errors)
        self.commitments = [
            (r.status, self._json(r.counts), self._json([money_to_json(m) for m in r.money]), r.explanation,
             self._db_moment(now), self._db_moment(as_of), self._db_moment(r.next_check_at), c.pk)
            for c, _s, r in pairs
        ]

    @staticmethod
    def _first_of_each(rows: pl.DataFrame, commitments: dict[int, Commitment], errors: list[str]) -> pl.DataFrame:
        """The rows without a second instance of the same key (a type's mistake), each named in `errors`."""
        first = pl.struct("commitment_id", "key").is_first_distinct()
        for pk, key in rows.filter(~first).select("commitment_id", "key").iter_rows():
            errors.append(f"{commitments[pk]}: instance {key} given twice; kept the first")
        return rows.filter(first)

    @staticmethod
    def _json(value) -> str:
        return connection.ops.adapt_json_value(value, None)

    def _db_moment(self, value: dt.datetime | None):
        if value is None or not self.text_moments:
            return value
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")

    def insert_rows(self, rows: pl.DataFrame) -> list[tuple]:
        """Rows of `self.rows` as parameters of the INSERT (PostgreSQL reads the moment texts as UTC)."""
        if not self.text_moments:
            rows = rows.with_columns(*(pl.col(c) + "+00:00" for c in ("due", "done")))
        return rows.select(_INSTANCE_COLUMNS).rows()


def _stored_rows(cursor, ids: list[int]) -> pl.DataFrame:
    """The stored instances of these commitments (`_STORED_SCHEMA`, in the order the database
    gives them), comparable with `_Verdicts.rows`: moments as SQLite's text (PostgreSQL's without
    its "+00")."""
    row = _json_row("id, commitment_id, {key}, status, health, CAST(due AS TEXT), CAST(done AS TEXT), days_late, "
                    "CAST(money AS TEXT), explanation".format(key=connection.ops.quote_name("key")))
    cursor.execute(f"SELECT {row} FROM {Instance._meta.db_table} WHERE commitment_id IN ({', '.join(['%s'] * len(ids))})",
                   ids)
    stored = _json_rows(cursor.fetchall(), _STORED_SCHEMA).cast(_STORED_SCHEMA)
    if connection.vendor == "sqlite":
        return stored
    return stored.with_columns(*(pl.col(c).str.replace(r"\+00(:00)?$", "") for c in ("due", "done")))


def _same(name: str) -> pl.Expr:
    new, old = pl.col(name), pl.col(f"{name}_stored")
    if name == "money" and connection.vendor != "sqlite":
        # jsonb gives its keys back in its own order: compare the items, not the text.
        new, old = new.str.json_decode(_MONEY_ITEMS), old.str.json_decode(_MONEY_ITEMS)
    return new.eq_missing(old)


def _changes(new: pl.DataFrame, stored: pl.DataFrame) -> tuple[list[int], pl.DataFrame]:
    """(ids of the stored rows to delete, new rows to insert): only what differs is rewritten."""
    key = ["commitment_id", "key"]
    same = new.join(stored, on=key, how="inner", suffix="_stored").filter(
        pl.all_horizontal(_same(c) for c in _ROW_SCHEMA if c not in key))
    drop = stored.filter(~pl.col("id").is_in(same["id"].implode()))["id"].to_list()
    return drop, new.filter(~pl.col("row").is_in(same["row"].implode()))


def _store(pairs: list[tuple[Commitment, Spec, Result]], as_of: dt.datetime, now: dt.datetime,
           summary: EvaluationSummary) -> None:
    """Write the verdicts of one batch in one transaction: the commitments'
    cache, their instances (only the rows that changed are rewritten), and
    the deviations the watcher reads (`pacta.core.watch.record_verdict_changes`,
    against the stored rows before they are replaced).

    Plain SQL: the ORM's bulk_update builds a CASE per row and field, which
    costs more than the evaluation itself.
    """
    from pacta.core.watch import lock_commitments, record_verdict_changes

    ops = connection.ops
    ids = [c.pk for c, _s, _r in pairs]
    verdicts = _Verdicts(pairs, as_of, now, summary.errors)
    table = Instance._meta.db_table
    insert = "INSERT INTO {} ({}) VALUES ({})".format(
        table, ", ".join(ops.quote_name(c) for c in _INSTANCE_COLUMNS), ", ".join(["%s"] * len(_INSTANCE_COLUMNS)))
    update = "UPDATE {} SET {} WHERE id = %s".format(
        Commitment._meta.db_table, ", ".join(f"{ops.quote_name(c)} = %s" for c in _COMMITMENT_COLUMNS))
    with transaction.atomic(), connection.cursor() as cursor:
        lock_commitments(ids)
        stored = _stored_rows(cursor, ids)
        record_verdict_changes([(c.pk, r) for c, _s, r in pairs], stored, verdicts.rows, verdicts.instances, at=as_of)
        drop, add = _changes(verdicts.rows, stored)
        for start in range(0, len(drop), INSERT_CHUNK):
            part = drop[start:start + INSERT_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})", part)
        for start in range(0, len(add), INSERT_CHUNK):
            cursor.executemany(insert, verdicts.insert_rows(add.slice(start, INSERT_CHUNK)))
        cursor.executemany(update, verdicts.commitments)
    summary.instances += len(verdicts.rows)


def _evaluate_batch(pairs: list[tuple[Commitment, Spec]], as_of: dt.datetime, now: dt.datetime,
                    summary: EvaluationSummary, stored: Callable[[int], None]) -> None:
    """Evaluate a batch and store its verdicts; `stored(n)` after each transaction, n stored so far."""
    from pacta.core.engine import evaluate

    specs = [spec for _c, spec in pairs]
    results = evaluate(specs, events_frame({s.party for s in specs}, as_of), as_of)
    verdicts = [(c, s, r) for (c, s), r in zip(pairs, results, strict=True)]
    # Short transactions: a writer waiting for the database waits for one of these at most.
    for start in range(0, len(verdicts), STORE_SIZE):
        _store(verdicts[start:start + STORE_SIZE], as_of, now, summary)
        stored(min(start + STORE_SIZE, len(verdicts)))
    summary.evaluated += len(results)
    for result in results:
        summary.statuses[result.status] += 1
    summary.results += results


def evaluate_and_store(*, commitments: Iterable[Commitment] | QuerySet | None = None,
                       as_of: dt.datetime | None = None, batch_size: int = BATCH_SIZE,
                       progress: Callable[[int, int], None] | None = None) -> EvaluationSummary:
    """Evaluate the given commitments (default: every stored one) as of `as_of`
    (default: the domain clock, `pacta.lib.clock.now()`) and store the verdicts.
    Drafts are skipped and counted. `progress(done, total)` is called as verdicts are stored.

    Returns an `EvaluationSummary` whose `results` are the engine's Results,
    ordered by party, agreement and commitment.

    Explanations (stored, and those of the deviations) are worded in the
    installation's language (settings.LANGUAGE_CODE), whatever language the
    request or command that triggered the evaluation is in: the cache is
    shared by every reader.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _evaluate_and_store(commitments, as_of, batch_size, progress)


def _evaluate_and_store(commitments: Iterable[Commitment] | QuerySet | None, as_of: dt.datetime | None,
                        batch_size: int, progress: Callable[[int, int], None] | None) -> EvaluationSummary:
    as_of = as_of or clock.now()  # the domain clock: PACTA_CLOCK judges the whole installation as of then
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
    reported = 0

    def report(done: int) -> None:
        nonlocal reported
        done = min(done, len(ids))
        if progress and done > reported:
            reported = done
            progress(done, len(ids))

    for start in range(0, len(ids), batch_size):
        # Hundreds of thousands of rows and results, no cycles among them: with the
        # results of earlier batches alive, each collection pass would traverse them all.
        with paused_gc():
            loaded = list(_commitments_for_specs(ids[start:start + batch_size]))
            pairs = _pair_specs(loaded, summary.errors)
            if pairs:
                _evaluate_batch(pairs, as_of, now, summary, lambda n, start=start: report(start + n))
        report(start + batch_size)
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
