"""Importing events into the log (files, the API, Northwind).

Rules (docs/event-files.md, "Importing into the register"):

- All or nothing: one transaction; on any problem nothing is stored and every
  problem is raised at once as `ImportErrors`.
- Idempotent by (source, id): a row whose id the source already has, with the
  same content, is counted `unchanged`. The same id with different content is
  an error: events are facts and are never rewritten; a correction is a new
  event (a credit note, a new delivery) with its own id.
- Every party must be known to the register.
- Each import writes an `ImportBatch` and an audit entry, then re-evaluates
  the commitments the new events can change (after the import is committed:
  the facts stay stored even if an evaluation fails). The import marks those
  commitments due, so that the watcher evaluates them should this
  re-evaluation not finish (the database went away, the process was killed).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit
from pacta.core.commitments.base import EVENT_KINDS, EVENT_SCHEMA
from pacta.core.evaluation import reevaluate_touched, select_events, touched_commitments
from pacta.core.imports import ImportErrors, ImportIssue
from pacta.core.models import Event, ImportBatch, Party
from pacta.lib import clock

INSERT_CHUNK = 50_000  # rows per executemany (and per progress step)
LOOKUP_CHUNK = 5_000  # ids per query when looking for stored events
SQLITE_IMPORT_CACHE_KIB = 256 * 1024  # page cache of a big import on SQLite
# The columns that make an event's content; `source` and `id` are its identity.
CONTENT = [c for c in EVENT_SCHEMA if c not in ("source", "id")]
_TEXT = ("ref", "product", "currency")

Progress = Callable[[int, int], None]


def do_import_events(frame: pl.DataFrame, *, source: str = "import", filename: str = "", acting_user=None,
                     progress: Progress | None = None, evaluate: bool = True) -> ImportBatch:
    """Store the events of `frame` (`EVENT_SCHEMA`, as `read_events` returns it;
    an optional `line` column locates problems, else row n is line n + 1).

    Returns the `ImportBatch` (rows, created, unchanged), with the re-evaluation's
    `EvaluationSummary` as its attribute `evaluation` (None when nothing was new).
    With `evaluate=False` (a bulk load in many batches) the touched commitments
    are marked due instead, for the watcher's next pass, and `evaluation` is None.
    `progress(done, total)` is called as rows are written.
    Raises `ImportErrors` (nothing stored) on any problem.
    """
    missing = [c for c in EVENT_SCHEMA if c not in frame.columns]
    if missing:
        raise TypeError(f"event frame lacks columns {missing}")
    frame = _normalised(frame, source)
    issues = _frame_issues(frame, filename)
    parties = dict(Party.objects.filter(code__in=frame["party"].drop_nulls().unique().to_list())
                   .values_list("code", "pk"))
    issues += _unknown_parties(frame, parties, filename)
    if issues:
        raise ImportErrors(issues)
    with transaction.atomic():
        stored = _stored_events(frame, source)
        issues = _conflicts(frame, stored, filename)
        if issues:
            raise ImportErrors(issues)
        new = frame.filter(~pl.col("id").is_in(stored["id"].implode())) if len(stored) else frame
        batch = ImportBatch.objects.create(
            kind=ImportBatch.Kind.EVENTS, source=source, filename=filename[:300], rows=len(frame),
            created=len(new), unchanged=len(frame) - len(new),
            user=acting_user if getattr(acting_user, "pk", None) else None,
        )
        _insert(new, parties, batch.pk, progress)
        audit(acting_user, "import_events", batch, changes={
            "source": source, "file": filename, "rows": batch.rows, "created": batch.created,
            "unchanged": batch.unchanged,
        })
        if len(new):
            touched = {parties[code] for code in new["party"].unique().to_list()}
            kinds = new["kind"].unique().to_list()
            # Due for the watcher with the events, in case the re-evaluation below never ends.
            touched_commitments(touched, kinds).update(next_check_at=clock.now())
    batch.evaluation = None
    if len(new) and evaluate:
        batch.evaluation = reevaluate_touched(touched, kinds)
    return batch


def _normalised(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """The frame in schema order with the import's source, empty text as null, and a line per row."""
    lines = pl.col("line") if "line" in frame.columns else pl.int_range(1, pl.len() + 1) + 1
    return frame.with_columns(
        pl.lit(source, dtype=pl.Utf8).alias("source"),
        *(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in _TEXT),
        lines.cast(pl.Int64).alias("line"),
    ).select(*EVENT_SCHEMA, "line").cast(EVENT_SCHEMA)


def _located(frame: pl.DataFrame, mask: pl.Expr, filename: str, fieldname: str, message: str,
             value: str | None = None) -> list[ImportIssue]:
    bad = frame.filter(mask).select("line", value or fieldname)
    return [ImportIssue(filename, line, fieldname, message % {"value": v}) for line, v in bad.iter_rows()]


def _frame_issues(frame: pl.DataFrame, filename: str) -> list[ImportIssue]:
    """What `read_events` checks too, for frames that come from elsewhere (the API)."""
    col = pl.col
    return (
        _located(frame, col("id").is_null(), filename, "id", _("Required: the fact's id in its source."))
        + _located(frame, col("id").is_not_null() & col("id").is_duplicated(), filename, "id",
                   _("The id %(value)s appears more than once in this import."))
        + _located(frame, ~col("kind").is_in(EVENT_KINDS).fill_null(False), filename, "kind",
                   _("Unknown kind %(value)s."))
        + _located(frame, col("party").is_null(), filename, "party", _("Required: the customer's or supplier's id."))
        + _located(frame, col("at").is_null(), filename, "at", _("Required: when it happened."))
    )


def _unknown_parties(frame: pl.DataFrame, parties: dict[str, int], filename: str) -> list[ImportIssue]:
    unknown = pl.col("party").is_not_null() & ~pl.col("party").is_in(list(parties))
    return _located(frame, unknown, filename, "party",
                    _("Unknown party %(value)s: add the customer or supplier to the register first."))


def _stored_events(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """The stored events of `source` that have one of the frame's ids."""
    if not Event.objects.filter(source=source).exists():
        return pl.DataFrame(schema=EVENT_SCHEMA)
    ids = frame["id"].to_list()
    chunks = []
    for start in range(0, len(ids), LOOKUP_CHUNK):
        part = ids[start:start + LOOKUP_CHUNK]
        where = f"e.source = %s AND e.external_id IN ({', '.join(['%s'] * len(part))})"
        chunks.append(select_events(where, [source, *part]))
    return pl.concat(chunks)


def _conflicts(frame: pl.DataFrame, stored: pl.DataFrame, filename: str) -> list[ImportIssue]:
    """Rows whose id is stored with different content, naming the fields that differ."""
    if not len(stored):
        return []
    both = frame.join(stored, on="id", suffix="__stored")
    differs = {c: _differs(c) for c in CONTENT}
    changed = both.with_columns(pl.concat_list(
        [pl.when(expr).then(pl.lit(name)) for name, expr in differs.items()]
    ).list.drop_nulls().list.join(", ").alias("fields")).filter(pl.col("fields") != "")
    return [
        ImportIssue(filename, line, "id", _(
            "The id %(id)s was imported before with other content (%(fields)s). Events are never changed: "
            "record a correction as a new event with its own id.") % {"id": ident, "fields": fields})
        for line, ident, fields in changed.select("line", "id", "fields").iter_rows()
    ]


def _differs(name: str) -> pl.Expr:
    new, old = pl.col(name), pl.col(f"{name}__stored")
    differs = ~new.eq_missing(old)
    if EVENT_SCHEMA[name] == pl.Decimal(38, 6) and connection.vendor == "sqlite":
        # SQLite keeps decimals in binary floating point (15 significant digits): a number
        # read back may differ in its last digits from the one written, and is still the same.
        a, b = new.cast(pl.Float64), old.cast(pl.Float64)
        differs = differs & ((a - b).abs() > a.abs() * 1e-14).fill_null(True)
    return differs


def _moment_text(name: str) -> pl.Expr:
    """The database's text for a moment: what Django's adapters write, so that
    rows inserted here compare like rows saved by the ORM (SQLite compares text)."""
    if connection.vendor == "sqlite":
        col = pl.col(name)
        return (
            pl.when(col.dt.microsecond() == 0).then(col.dt.strftime("%Y-%m-%d %H:%M:%S"))
            .otherwise(col.dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))
        ).alias(name)
    return pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").alias(name)


def _rows(new: pl.DataFrame, parties: dict[str, int], batch_id: int) -> pl.DataFrame:
    """The new events as the event table's columns, every value ready for the database."""
    party_ids = pl.DataFrame({"party": list(parties), "party_id": list(parties.values())},
                             schema={"party": pl.Utf8, "party_id": pl.Int64})
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    return new.join(party_ids, on="party", how="left").select(
        "source", pl.col("id").alias("external_id"), "kind", "party_id", _moment_text("at"), "date_only",
        *(pl.col(c).fill_null("") for c in ("ref", "product")),
        *(pl.col(c).cast(pl.Utf8) for c in ("quantity", "unit_price", "discount", "list_price", "amount")),
        pl.col("currency").fill_null(""), _moment_text("due"), "due_date_only", "force_majeure",
        pl.lit(batch_id).alias("batch_id"), pl.lit(str(created_at)).alias("created_at"),
    )


def _insert(new: pl.DataFrame, parties: dict[str, int], batch_id: int, progress: Progress | None) -> None:
    """Bulk insert: executemany on SQLite, COPY on PostgreSQL, in chunks that report progress."""
    # In the order of the (party, kind, at) index: SQLite then appends to its pages instead
    # of splitting them all over, and one party's events end up side by side for the
    # evaluation, which reads them party by party.
    rows = _rows(new.sort("party", "kind", "at"), parties, batch_id)
    total = len(rows)
    write = _copy_chunk if connection.vendor == "postgresql" else _executemany_chunk
    with connection.cursor() as cursor, _sqlite_cache(cursor, total):
        for start in range(0, total, INSERT_CHUNK):
            write(cursor, rows.slice(start, INSERT_CHUNK))
            if progress:
                progress(min(start + INSERT_CHUNK, total), total)
    if progress and not total:
        progress(0, 0)


@contextmanager
def _sqlite_cache(cursor, rows: int):
    """A larger SQLite page cache while a big import updates the event indexes
    (a fifth faster for a million rows), then the connection's own setting again."""
    if connection.vendor != "sqlite" or rows < INSERT_CHUNK:
        yield
        return
    cursor.execute("PRAGMA cache_size")
    previous = cursor.fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = {-SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _executemany_chunk(cursor, chunk: pl.DataFrame) -> None:
    sql = "INSERT INTO {table} ({columns}) VALUES ({values})".format(
        table=Event._meta.db_table, columns=", ".join(chunk.columns), values=", ".join(["%s"] * chunk.width))
    cursor.executemany(sql, chunk.rows())


def _copy_chunk(cursor, chunk: pl.DataFrame) -> None:
    # polars writes the CSV; no Python object per value. NULL is \N, so empty text stays empty.
    sql = "COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')".format(
        table=connection.ops.quote_name(Event._meta.db_table), columns=", ".join(chunk.columns))
    with cursor.cursor.copy(sql) as copy:
        copy.write(chunk.write_csv(include_header=False, null_value="\\N").encode())


__all__ = ["do_import_events"]
