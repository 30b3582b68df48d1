"""Reading files: event files (CSV/XLSX) into the engine's event frame, and
YAML agreement files into validated documents.

Both readers check everything before anything is used and report every
problem at once as `ImportErrors`, one `FILE:LINE: field: what is wrong` per
problem (COMMITMENTS.md section 5). Nothing here touches the database: file
mode (`pacta check --agreements ... --events ...`) runs on these alone.

Event files are read with polars, all columns as text, and validated column by
column with expressions; Python objects are built only for the bad rows, so a
file of a million rows reads in seconds. See docs/agreement-files.md for the
agreement format and docs/event-files.md for event files and column mappings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
import yaml
from django.utils.translation import gettext as _

from pacta.core.commitments import REGISTRY, Spec, params_to_data, validate_params
from pacta.core.commitments.base import DECIMAL, EVENT_KINDS, EVENT_SCHEMA, Params
from pacta.core.specs import HistoryEntry, build_segments

# ---------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class ImportIssue:
    """One problem in an input file. `line` is the file's line (header = 1; for
    XLSX the row number); `field` the column or key, "" for the whole line."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        """One line: `FILE:LINE: field: what is wrong` (a line break in a value quoted from the file is escaped)."""
        if self.field:
            return _one_line(f"{self.file}:{self.line}: {self.field}: {self.message}")
        return _one_line(f"{self.file}:{self.line}: {self.message}")


_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    return _BREAKS.sub(lambda m: repr(m[0])[1:-1], text)


class ImportErrors(Exception):
    """Every problem found in the input; nothing was read into use."""

    def __init__(self, issues: Iterable[ImportIssue]):
        self.issues = sorted(issues, key=lambda i: (i.file, i.line))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


def _shorten(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Event files

REQUIRED_COLUMNS = ("id", "kind", "party", "at")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
# The columns of an event file (COMMITMENTS.md section 2), in file order.
CANONICAL_COLUMNS = (
    "id", "kind", "party", "at", "ref", "product", "quantity", "unit_price", "discount",
    "list_price", "amount", "currency", "due", "force_majeure",
)
NUMBER_COLUMNS = ("quantity", "unit_price", "discount", "list_price", "amount")
# Longest text the database keeps per column (pacta.core.models.Event).
TEXT_LIMITS = {"id": 128, "party": 64, "ref": 128, "product": 128}
# Event amounts have 14 digits before the decimal point in the database.
NUMBER_LIMIT = Decimal("1e14")
MAPPING_OPTIONS = ("delimiter", "decimal_comma", "date_format", "datetime_format", "timezone", "defaults",
                   "encoding", "sheet")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_LINE = "__line"


@dataclass(frozen=True)
class EventOptions:
    """How to read a file whose layout differs from the canonical one (the
    `options` of a `ColumnMapping`; docs/event-files.md)."""

    delimiter: str | None = None  # None: guessed from the header line
    decimal_comma: bool = False  # "1.234,5" means 1234.5
    date_format: str = "%Y-%m-%d"
    datetime_format: str | None = None  # extra format for timestamps, e.g. "%d.%m.%Y %H:%M"
    timezone: str | None = None  # zone of timestamps written without an offset
    defaults: dict[str, str] = field(default_factory=dict)  # canonical column -> value when empty or absent
    encoding: str = "utf-8"
    sheet: str | None = None  # XLSX: sheet name; default the first

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EventOptions:
        data = dict(data or {})
        return cls(
            delimiter=data.get("delimiter") or None,
            decimal_comma=bool(data.get("decimal_comma", False)),
            date_format=data.get("date_format") or "%Y-%m-%d",
            datetime_format=data.get("datetime_format") or None,
            timezone=data.get("timezone") or None,
            defaults={str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
            encoding=data.get("encoding") or "utf-8",
            sheet=data.get("sheet") or None,
        )


def read_events(
    source: str | Path | bytes | BinaryIO,
    *,
    filename: str,
    mapping: dict[str, Any] | None = None,
    known_parties: set[str] | None = None,
    event_source: str = "import",
    with_lines: bool = False,
) -> pl.DataFrame:
    """Read a CSV or XLSX event file into a frame of exactly `EVENT_SCHEMA`.

    `source` is a path, the file's bytes or a binary file object; `filename`
    names it in messages and its extension (.csv, .txt, .xlsx) picks the
    reader. `mapping` is a column mapping, either `{"mapping": {canonical:
    file column}, "options": {...}}` (a `ColumnMapping`'s fields) or a bare
    `{canonical: file column}` dict; without it the file has the canonical
    columns. `known_parties`, when given, makes unknown parties errors.
    `event_source` fills the `source` column. `with_lines` adds a `line`
    column (the file line of each row) after the schema's columns.

    Raises `ImportErrors` with every problem of the file; nothing is returned
    then.
    """
    columns, options = _split_mapping(mapping)
    issues = _check_mapping(filename, columns, options)
    if issues:
        raise ImportErrors(issues)
    suffix = Path(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        source = _source_bytes(source)  # read once: the line numbers may need a second look
        header, raw, issues = _read_csv_raw(source, filename, options)
    elif suffix in (".xlsx", ".xlsm"):
        header, raw, issues = _read_xlsx_raw(source, filename, options)
    else:
        raise ImportErrors([ImportIssue(filename, 1, "", _("Unsupported file type %(ext)s: use .csv or .xlsx.")
                                        % {"ext": suffix or "(none)"})])
    frame, more = _events_from_raw(raw, header, filename, columns, options, known_parties, event_source)
    issues += more
    if issues:
        raise ImportErrors(_relocate(issues, source, filename, options))
    return frame if with_lines else frame.drop("line")


def read_event_records(
    records: list[dict],
    *,
    source_name: str = "request",
    event_source: str = "api",
    known_parties: set[str] | None = None,
    with_lines: bool = False,
) -> pl.DataFrame:
    """Read events given as JSON objects (the API's batches) into a frame of
    exactly `EVENT_SCHEMA`, through the same column-wise parsing and checks as
    `read_events`: a file and a batch with the same facts never disagree.

    Each record has the canonical columns as keys (COMMITMENTS.md section 2);
    values are text, numbers, booleans or null. An unknown key, a list or an
    object as a value, an empty record, or a record that is not an object is
    an error. Problems are located as `source_name:ROW: field: what is wrong`,
    ROW being the record's index in `records` (from 0); `with_lines` adds that
    index as a `line` column. Raises `ImportErrors` with every problem at once.
    """
    rows = [r if isinstance(r, dict) else {} for r in records]
    issues = _record_issues(records, rows, source_name)
    raw = _records_frame(rows, source_name, issues)
    # An empty record would be skipped like a blank line of a file; in a batch it is a mistake.
    blank = raw.filter(pl.all_horizontal(pl.exclude(_LINE).fill_null("").str.strip_chars() == ""))[_LINE]
    issues += [ImportIssue(source_name, line, "", _("An empty event: give at least id, kind, party and at."))
               for line in blank.to_list() if isinstance(records[line], dict)]
    frame, more = _events_from_raw(raw, list(CANONICAL_COLUMNS), source_name, {}, EventOptions(), known_parties,
                                   event_source)
    issues += more
    if issues:
        raise ImportErrors(issues)
    return frame if with_lines else frame.drop("line")


_TEXT_TYPES = {str, type(None)}


def _record_text(value: Any, index: int, name: str, source_name: str, issues: list[ImportIssue]) -> str | None:
    """A JSON value as the text a file's cell would hold; a list or an object is an error and reads as nothing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, float)):
        # Plain notation within reason; an exponent beyond it stays as written (and is not a number then).
        number = Decimal(value) if isinstance(value, Decimal) else Decimal(repr(value))
        return format(number, "f") if number.is_finite() and abs(number.adjusted()) < 40 else str(value)
    if isinstance(value, int):
        return str(value)
    issues.append(ImportIssue(source_name, index, name, _("Enter a single value: text, a number, true or false.")))
    return None


def _records_frame(rows: list[dict], source_name: str, issues: list[ImportIssue]) -> pl.DataFrame:
    """The records as text columns c0..cN (a file's cells) and their index as the line.

    A column of text and nulls (the common case) passes as it is; a column
    with numbers or booleans is turned into the text a file would hold (3,
    0.1, true) value by value, and a list or an object in it is an error.
    """
    columns = {}
    for i, name in enumerate(CANONICAL_COLUMNS):
        values = [row.get(name) for row in rows]
        if not set(map(type, values)) <= _TEXT_TYPES:
            values = [_record_text(v, index, name, source_name, issues) for index, v in enumerate(values)]
        columns[f"c{i}"] = pl.Series(values, dtype=pl.Utf8)
    raw = pl.DataFrame(columns, schema={f"c{i}": pl.Utf8 for i in range(len(CANONICAL_COLUMNS))})
    return raw.with_row_index(_LINE).with_columns(pl.col(_LINE).cast(pl.Int64))


def _record_issues(records: list, rows: list[dict], source_name: str) -> list[ImportIssue]:
    """Records that are not objects, and keys that are not canonical columns."""
    issues = [ImportIssue(source_name, index, "", _("Enter an event as an object of fields."))
              for index, record in enumerate(records) if not isinstance(record, dict)]
    keys: set = set()
    for row in rows:
        keys.update(row)
    if keys <= set(CANONICAL_COLUMNS):
        return issues
    for index, row in enumerate(rows):
        issues += [ImportIssue(source_name, index, str(key), _("Unknown field; expected the fields %(names)s.")
                               % {"names": ", ".join(CANONICAL_COLUMNS)})
                   for key in row if key not in CANONICAL_COLUMNS]
    return issues


def _split_mapping(mapping: dict[str, Any] | None) -> tuple[dict[str, str], EventOptions]:
    if not mapping:
        return {}, EventOptions()
    if "mapping" in mapping and isinstance(mapping["mapping"], dict):
        return {str(k): str(v) for k, v in mapping["mapping"].items()}, EventOptions.from_dict(mapping.get("options"))
    return {str(k): str(v) for k, v in mapping.items()}, EventOptions()


def _check_mapping(filename: str, columns: dict[str, str], options: EventOptions) -> list[ImportIssue]:
    """Problems of the mapping itself (reported against line 1 of the file it is used for)."""
    issues = []
    for name in list(columns) + list(options.defaults):
        if name not in CANONICAL_COLUMNS:
            issues.append(ImportIssue(filename, 1, name, _("The mapping names an unknown column; expected one of: %(names)s.")
                                      % {"names": ", ".join(CANONICAL_COLUMNS)}))
    issues += [ImportIssue(filename, 1, name, message) for name, message in option_problems(options).items()]
    return issues


def chrono_format(text: str) -> str:
    """A strftime format as polars (chrono) reads it: Python's `.%f` (a dot and 1 to 6 digits of
    the second) is chrono's `%.f`; chrono reads `.%f` as nanoseconds, so `09:30:00.5` would come
    out as 09:30:00.000000005 and polars warns on stderr."""
    return text.replace(".%f", "%.f") if text else text


def _with_offset(datetime_format: str) -> bool:
    """Does polars read timestamps of this format with an offset (`%z`, but also `%:z`, `%#z`, …)?"""
    try:
        return pl.Series([""], dtype=pl.Utf8).str.to_datetime(
            chrono_format(datetime_format), strict=False).dtype.time_zone is not None
    except pl.exceptions.PolarsError:
        return "%z" in datetime_format  # a format polars refuses: option_problems says so


def option_problems(options: EventOptions) -> dict[str, str]:
    """Options of a mapping that cannot read any file, by option: an unknown time zone, a
    delimiter of more than one byte, a date or time format polars refuses (`%H` without `%M`)."""
    problems = {}
    if options.timezone and not _is_timezone(options.timezone):
        problems["timezone"] = _("Unknown time zone: %(tz)s.") % {"tz": options.timezone}
    if options.delimiter is not None and len(options.delimiter.encode("utf-8", "surrogatepass")) != 1:
        problems["delimiter"] = _("Enter one ASCII character as the delimiter, such as , or ;: %(value)s.") % {
            "value": _shorten(options.delimiter)}
    probe = pl.DataFrame({"v": ["2025-03-01 09:30"]}).lazy()
    formats = [("date_format", options.date_format, lambda v, f: v.str.to_date(f, strict=False))]
    if options.datetime_format:
        zone = "UTC" if _with_offset(options.datetime_format) else None
        formats.append(("datetime_format", options.datetime_format,
                        lambda v, f: v.str.to_datetime(f, strict=False, time_zone=zone)))
    for name, text, parse in formats:
        try:
            probe.select(parse(pl.col("v"), chrono_format(text))).collect()
        except pl.exceptions.PolarsError as exc:
            problems[name] = _("Not a format pacta can read (%(error)s): %(value)s.") % {
                "error": _shorten(str(exc).splitlines()[0], 120), "value": _shorten(text)}
    return problems


def _is_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _source_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    data = source.read()
    return data.encode() if isinstance(data, str) else data


def _guess_delimiter(first_line: bytes) -> str:
    counts = {sep: first_line.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv_raw(source, filename: str, options: EventOptions
                  ) -> tuple[list[str], pl.DataFrame, list[ImportIssue]]:
    """The header's cells, the rows as text columns c0..cN with the file line
    of each row, and the lines that have more fields than the header."""
    data = _source_bytes(source)
    if options.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            data = data.decode(options.encoding).encode()
        except (LookupError, ValueError) as exc:  # ValueError: punycode's UnicodeError, a lone surrogate
            raise ImportErrors([ImportIssue(filename, 1, "", _("The file cannot be read as %(enc)s: %(error)s.")
                                            % {"enc": options.encoding, "error": exc})]) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportErrors([ImportIssue(filename, line, "", _(
            "The file is not UTF-8 text; save it as UTF-8 or give the mapping option encoding (e.g. cp1252)."))]) from None
    if not data.strip():
        raise ImportErrors([ImportIssue(filename, 1, "", _("The file is empty."))])
    separator = options.delimiter or _guess_delimiter(data.split(b"\n", 1)[0])
    read = dict(has_header=False, infer_schema=False, separator=separator)
    issues = []
    try:
        try:
            raw = pl.read_csv(data, **read)
        except pl.exceptions.ComputeError as exc:
            if "more fields" not in str(exc):
                raise
            # Rare and always an error: find the long lines the slow way, and
            # still check the rest of the file.
            raw = pl.read_csv(data, truncate_ragged_lines=True, **read)
            issues = _ragged_lines(data, separator, raw.width, filename)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise ImportErrors(_relocate(_cut_short(data, separator, filename), data, filename, options) or [ImportIssue(
            filename, 1, "", _("The file is not a readable CSV file: %(error)s.")
            % {"error": str(exc).splitlines()[0]})]) from None
    issues += _cut_short(data, separator, filename)
    header = [h or "" for h in raw.row(0)]
    raw = raw.slice(1).rename({c: f"c{i}" for i, c in enumerate(raw.columns)})
    raw = raw.with_row_index(_LINE, offset=2).with_columns(pl.col(_LINE).cast(pl.Int64))
    return header, raw, issues


def _cut_short(data: bytes, separator: str, filename: str) -> list[ImportIssue]:
    """The last row, when the file ends inside it: no line break at the end, and fewer
    fields than the header or a quoted field never closed. Such a file is still being
    written or was not copied completely; its last row must not pass as a short one.

    (A file cut right after a line break cannot be told from a complete one.)"""
    if data.endswith((b"\n", b"\r")):
        return []
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if '"' not in text:
        lines = text.split("\n")
        if len(lines) < 2:
            return []
        line, width, fields, unclosed = len(lines), lines[0].count(separator) + 1, lines[-1].count(separator) + 1, False
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        line, width, fields, start, previous = 0, 0, 0, 0, 0  # line: the record's number, as polars counts
        for line, row in enumerate(reader, start=1):
            width, fields = (len(row), 0) if line == 1 else (width, len(row))
            start, previous = previous + 1, reader.line_num
        if line < 2:
            return []
        last = "\n".join(text.split("\n")[start - 1:])
        try:
            list(csv.reader(io.StringIO(last, newline=""), delimiter=separator, strict=True))
            unclosed = False
        except csv.Error as exc:
            unclosed = "end of data" in str(exc)  # a quoted field never closed
    if fields >= width and not unclosed:
        return []
    return [_cut_short_issue(filename, line)]


def _cut_short_issue(filename: str, line: int) -> ImportIssue:
    return ImportIssue(filename, line, "", _(
        "The file ends in the middle of this line: it seems cut short (still being written, or not copied "
        "completely). Import the complete file."))


def _ragged_lines(data: bytes, separator: str, width: int, filename: str) -> list[ImportIssue]:
    reader = csv.reader(io.StringIO(data.decode("utf-8").lstrip("\ufeff"), newline=""), delimiter=separator)
    issues, start = [], 1
    for row in reader:
        if len(row) > width:
            issues.append(ImportIssue(filename, start, "", _(
                "%(found)s fields, but the header has %(width)s columns.") % {"found": len(row), "width": width}))
        start = reader.line_num + 1
    return issues


def _starts_as_zip(data: str | Path | BinaryIO) -> bool:
    """Does this file begin like a zip archive (as every XLSX workbook does)?"""
    try:
        if isinstance(data, (str, Path)):
            with open(data, "rb") as f:
                head = f.read(4)
        else:
            data.seek(0)
            head = data.read(4)
    except OSError:
        return False
    return head == b"PK\x03\x04"


def _xlsx_cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # Excel has no time zones: a cell at midnight is a date; any other time
        # is a timestamp without offset (an error unless the mapping names a zone).
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# What reading a damaged workbook raises: from zipfile and zlib (a member cut or garbled, an
# unknown compression, encryption), from openpyxl and the XML parser (SyntaxError).
_XLSX_DAMAGE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, ValueError, TypeError, IndexError,
                NotImplementedError, RuntimeError, SyntaxError)


def _not_readable(filename: str, exc: BaseException) -> ImportErrors:
    return ImportErrors([ImportIssue(filename, 1, "", _("The file is not a readable XLSX workbook: %(error)s.")
                                     % {"error": _shorten(exc, 120)})])


def _undamaged(rows: Iterable, filename: str) -> Iterable:
    """The rows of a sheet, read as they are used (read-only mode streams the sheet from the zip):
    damage found on the way is a problem of the file, not a crash."""
    try:
        yield from rows
    except _XLSX_DAMAGE as exc:
        raise _not_readable(filename, exc) from None


def _read_xlsx_raw(source, filename: str, options: EventOptions
                   ) -> tuple[list[str], pl.DataFrame, list[ImportIssue]]:
    """Like `_read_csv_raw` for the first sheet (or `options.sheet`) of a workbook."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    data = source if isinstance(source, (str, Path)) else io.BytesIO(_source_bytes(source))
    try:
        workbook = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_DAMAGE) as exc:
        if isinstance(exc, zipfile.BadZipFile) and _starts_as_zip(data):
            # The beginning of a workbook without the end (a zip's directory is at its end).
            raise ImportErrors([ImportIssue(filename, 1, "", _(
                "The workbook is incomplete: it seems cut short (still being written, or not copied "
                "completely). Import the complete file."))]) from None
        raise _not_readable(filename, exc) from None
    try:
        if options.sheet and options.sheet not in workbook.sheetnames:
            raise ImportErrors([ImportIssue(filename, 1, "sheet", _("The workbook has no sheet %(sheet)s.")
                                            % {"sheet": options.sheet})])
        if not workbook.worksheets:
            raise ImportErrors([ImportIssue(filename, 1, "", _("The file is empty."))])
        sheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
        rows = _undamaged(sheet.iter_rows(values_only=True), filename)
        header_row = next(rows, None)
        if header_row is None:
            raise ImportErrors([ImportIssue(filename, 1, "", _("The file is empty."))])
        header = [_xlsx_cell_text(v) or "" for v in header_row]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        cols: list[list[str | None]] = [[] for _i in range(width)]
        lines: list[int] = []
        issues = []
        for number, row in enumerate(rows, start=2):
            cells = [_xlsx_cell_text(v) for v in row]
            if not any(c not in (None, "") for c in cells):
                continue
            lines.append(number)
            for i in range(width):
                cols[i].append(cells[i] if i < len(cells) else None)
            if any(c not in (None, "") for c in cells[width:]):
                issues.append(ImportIssue(filename, number, "", _(
                    "A value beyond the header's last column (%(width)s columns).") % {"width": width}))
    finally:
        workbook.close()
    frame = pl.DataFrame({f"c{i}": pl.Series(values, dtype=pl.Utf8) for i, values in enumerate(cols)})
    frame = frame.with_columns(pl.Series(_LINE, lines, dtype=pl.Int64))
    return header, frame, issues


def _resolve_header(header: list[str], filename: str, columns: dict[str, str], options: EventOptions
                    ) -> tuple[dict[str, int], list[ImportIssue]]:
    """Which file column holds each canonical column, and the header's problems.

    Without a mapping every header cell must be a canonical name. With one,
    a canonical name is read from the file column the mapping names, or from a
    column of its own name; other columns are ignored.
    """
    issues: list[ImportIssue] = []
    names = [h.strip() for h in header]
    index_of: dict[str, int] = {}
    for i, name in enumerate(names):
        key = name.lower()
        if key in index_of:
            issues.append(ImportIssue(filename, 1, name, _("The column appears twice in the header.")))
        elif key:
            index_of[key] = i
    found: dict[str, int] = {}
    if columns:
        for canonical in CANONICAL_COLUMNS:
            wanted = columns.get(canonical)
            if wanted is not None:
                if wanted.strip().lower() in index_of:
                    found[canonical] = index_of[wanted.strip().lower()]
                else:
                    issues.append(ImportIssue(filename, 1, canonical, _(
                        "The mapping reads this from the column %(column)s, which the file does not have.")
                        % {"column": wanted}))
            elif canonical in index_of:
                found[canonical] = index_of[canonical]
    else:
        for i, name in enumerate(names):
            if name.lower() in CANONICAL_COLUMNS:
                found[name.lower()] = i
            elif name:
                issues.append(ImportIssue(filename, 1, name, _(
                    "Unknown column; expected the columns %(names)s (or import with a column mapping).")
                    % {"names": ", ".join(CANONICAL_COLUMNS)}))
            else:
                issues.append(ImportIssue(filename, 1, "", _(
                    "Column %(number)s has no name in the header.") % {"number": i + 1}))
    for required in REQUIRED_COLUMNS:
        if required not in found and required not in options.defaults and not any(
            i.field == required for i in issues
        ):
            issues.append(ImportIssue(filename, 1, required, _("Required column missing.")))
    return found, issues


def _events_from_raw(raw: pl.DataFrame, header: list[str], filename: str, columns: dict[str, str],
                     options: EventOptions, known_parties: set[str] | None, event_source: str
                     ) -> tuple[pl.DataFrame, list[ImportIssue]]:
    found, issues = _resolve_header(header, filename, columns, options)
    if any(name not in found and name not in options.defaults for name in REQUIRED_COLUMNS):
        return raw.clear(), issues  # every row would repeat it
    # Blank lines (every cell empty) are skipped, wherever they are.
    cells = [c for c in raw.columns if c != _LINE]
    raw = raw.filter(pl.any_horizontal(pl.col(cells).str.strip_chars().str.len_chars() > 0))
    cleaned = []
    for name in CANONICAL_COLUMNS:
        expr = pl.col(f"c{found[name]}") if name in found else pl.lit(None, dtype=pl.Utf8)
        expr = expr.str.strip_chars()
        expr = pl.when(expr == "").then(None).otherwise(expr)
        if name in options.defaults:
            expr = expr.fill_null(pl.lit(options.defaults[name]))
        cleaned.append(expr.alias(name))
    text = raw.select(*cleaned, pl.col(_LINE))
    parsed = _parse_moments(text, options).lazy()
    parsed = (
        parsed.with_columns(*_parse_exprs(options), pl.col(_LINE).min().over("id").alias("first_line"))
        .with_columns(_amount_expr().alias("p_amount_filled"))
        .with_columns(_check_exprs(known_parties, options))
        .collect()
    )
    issues += _collect_issues(parsed, filename)
    if issues:
        return parsed.clear(), issues
    frame = parsed.select(
        pl.lit(event_source, dtype=pl.Utf8).alias("source"),
        pl.col("id"),
        pl.col("kind"),
        pl.col("party"),
        pl.col("p_at").alias("at"),
        pl.col("p_at_date_only").alias("date_only"),
        pl.col("ref"),
        pl.col("product"),
        pl.col("p_quantity").alias("quantity"),
        pl.col("p_unit_price").alias("unit_price"),
        pl.col("p_discount").alias("discount"),
        pl.col("p_list_price").alias("list_price"),
        pl.col("p_amount_filled").alias("amount"),
        pl.col("currency").str.to_uppercase().alias("currency"),
        pl.col("p_due").alias("due"),
        pl.col("p_due_date_only").fill_null(False).alias("due_date_only"),
        pl.col("p_force_majeure").fill_null(False).alias("force_majeure"),
        pl.col(_LINE).alias("line"),
    )
    return frame.cast(EVENT_SCHEMA), []


# --- parsing, column by column


def _moment_exprs(name: str, options: EventOptions) -> list[pl.Expr]:
    """Parse a date or timestamp column into p_<name> (UTC), p_<name>_date_only
    and p_<name>_naive (a timestamp without an offset, which is refused)."""
    text = pl.col(name)
    as_date = text.str.to_date(options.date_format, strict=False)
    if options.date_format != "%Y-%m-%d":
        as_date = pl.coalesce(as_date, text.str.to_date("%Y-%m-%d", strict=False))
    iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ t]", "${1}T").str.replace(r"[Zz]$", "+00:00")
    aware = pl.coalesce(
        iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC"),
        iso.str.to_datetime("%Y-%m-%dT%H:%M%z", strict=False, time_zone="UTC"),
    )
    naive = pl.coalesce(
        iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False),
        iso.str.to_datetime("%Y-%m-%dT%H:%M", strict=False),
    )
    if options.datetime_format:
        extra = chrono_format(options.datetime_format)
        if _with_offset(options.datetime_format):
            aware = pl.coalesce(aware, text.str.to_datetime(extra, strict=False, time_zone="UTC"))
        else:
            naive = pl.coalesce(naive, text.str.to_datetime(extra, strict=False))
    if options.timezone:
        local = naive.dt.replace_time_zone(options.timezone, ambiguous="earliest", non_existent="null")
        aware = pl.coalesce(aware, local.dt.convert_time_zone("UTC"))
        naive = pl.lit(None, dtype=pl.Datetime("us"))
    value = pl.when(as_date.is_not_null()).then(as_date.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
    return [
        value.otherwise(aware.dt.cast_time_unit("us")).alias(f"p_{name}"),
        as_date.is_not_null().alias(f"p_{name}_date_only"),
        (as_date.is_null() & aware.is_null() & naive.is_not_null()).alias(f"p_{name}_naive"),
    ]


def _number_expr(name: str, options: EventOptions) -> pl.Expr:
    text = pl.col(name)
    if options.decimal_comma:
        text = text.str.replace_all(r"[.\s\u00a0']", "").str.replace(",", ".", literal=True)
    return text.cast(DECIMAL, strict=False).alias(f"p_{name}")


def _bool_expr(name: str) -> pl.Expr:
    lowered = pl.col(name).str.to_lowercase()
    return (
        pl.when(lowered.is_in(_TRUE)).then(True)
        .when(lowered.is_in(_FALSE)).then(False)
        .otherwise(None).alias(f"p_{name}")
    )


def _parse_moments(text: pl.DataFrame, options: EventOptions) -> pl.DataFrame:
    """Add the parsed `at` and `due` columns. Most files write ISO dates and
    full timestamps with an offset, which two formats read; the other
    layouts (Z, a space before the time, no seconds, a mapping's formats, the
    errors) cost several more passes, paid only when a value needs them."""
    custom = options.date_format != "%Y-%m-%d" or options.datetime_format or options.timezone
    for name in ("at", "due"):
        as_date = pl.col(name).str.to_date("%Y-%m-%d", strict=False)
        aware = pl.col(name).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC")
        fast = [
            pl.when(as_date.is_not_null()).then(as_date.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
            .otherwise(aware.dt.cast_time_unit("us")).alias(f"p_{name}"),
            as_date.is_not_null().alias(f"p_{name}_date_only"),
            pl.lit(False).alias(f"p_{name}_naive"),
        ]
        text = text.with_columns(fast)
        if custom or text.select((pl.col(name).is_not_null() & pl.col(f"p_{name}").is_null()).any()).item():
            text = text.with_columns(_moment_exprs(name, options))
    return text


def _parse_exprs(options: EventOptions) -> list[pl.Expr]:
    exprs = [_number_expr(n, options) for n in NUMBER_COLUMNS]
    exprs.append(_bool_expr("force_majeure"))
    return exprs


def _amount_expr() -> pl.Expr:
    """amount, or quantity x unit_price x (1 - discount) when it is empty;
    computed at 18 decimals and rounded once to the frame's 6."""
    wide = pl.Decimal(38, 18)
    quantity, price = pl.col("p_quantity"), pl.col("p_unit_price")
    share = pl.lit(1) - pl.col("p_discount").fill_null(0)
    # 38 digits with 18 decimals hold 20 before the point: a factor or product
    # beyond that cannot be computed exactly (polars would raise). It is far
    # beyond any amount, so it reads as the limit and is reported as too large.
    floats = [e.cast(pl.Float64).abs() for e in (quantity, price, share)]
    fits = pl.all_horizontal(
        (e < 1e19).fill_null(True) for e in (*floats, floats[0] * floats[1], floats[0] * floats[1] * floats[2])
    )
    computed = (
        pl.when(fits).then(quantity).cast(wide) * pl.when(fits).then(price).cast(wide)
        * pl.when(fits).then(share).cast(wide)
    ).cast(DECIMAL)
    too_large = pl.when(~fits).then(pl.lit(NUMBER_LIMIT).cast(DECIMAL))
    return pl.coalesce(pl.col("p_amount"), computed, too_large)


# Each check: (flag column, field, message template). Templates take
# %(value)s (the cell), %(first)s (line of an id's first row), %(limit)s and
# %(kinds)s; they are translated when the issues are built.
def _checks() -> list[tuple[str, str, str]]:
    checks = [
        ("e_id_missing", "id", _("Required: the fact's id in its source.")),
        ("e_id_long", "id", _("Longer than %(limit)s characters: %(value)s.")),
        ("e_id_duplicate", "id", _("The id %(value)s appears twice in the file (first on line %(first)s).")),
        ("e_kind_missing", "kind", _("Required: one of %(kinds)s.")),
        ("e_kind_unknown", "kind", _("Unknown kind %(value)s; expected one of %(kinds)s.")),
        ("e_party_missing", "party", _("Required: the customer's or supplier's id.")),
        ("e_party_long", "party", _("Longer than %(limit)s characters: %(value)s.")),
        ("e_party_unknown", "party", _("Unknown party %(value)s.")),
        ("e_at_missing", "at", _("Required: when it happened, e.g. 2025-03-01 or 2025-03-01T09:30:00+01:00.")),
    ]
    for name in ("at", "due"):
        checks += [
            (f"e_{name}_bad", name,
             _("Not a date (2025-03-01) or a timestamp with offset (2025-03-01T09:30:00+01:00): %(value)s.")),
            (f"e_{name}_naive", name, _("A timestamp needs an offset such as +01:00 or Z: %(value)s.")),
        ]
    for name in NUMBER_COLUMNS:
        checks += [
            (f"e_{name}_comma", name,
             _("Not a number: %(value)s (for a decimal comma, import with a mapping that sets decimal_comma).")),
            (f"e_{name}_bad", name, _("Not a number: %(value)s.")),
            (f"e_{name}_large", name, _("Too large: %(value)s.")),
        ]
    checks += [
        ("e_quantity_negative", "quantity", _("A quantity cannot be negative: %(value)s.")),
        ("e_unit_price_negative", "unit_price", _("A price cannot be negative: %(value)s.")),
        ("e_list_price_negative", "list_price", _("A price cannot be negative: %(value)s.")),
        ("e_amount_computed_large", "amount", _("quantity x unit_price is too large for an amount.")),
        ("e_discount_range", "discount",
         _("A discount is a fraction between 0 and 1, e.g. 0.1 for ten percent: %(value)s.")),
        ("e_currency_bad", "currency", _("Not a currency code (three letters such as EUR): %(value)s.")),
        ("e_force_majeure_bad", "force_majeure", _("Enter true, false, yes, no, 1 or 0: %(value)s.")),
        ("e_ref_long", "ref", _("Longer than %(limit)s characters: %(value)s.")),
        ("e_product_long", "product", _("Longer than %(limit)s characters: %(value)s.")),
    ]
    return checks


def _check_exprs(known_parties: set[str] | None, options: EventOptions) -> list[pl.Expr]:
    col = pl.col
    exprs = [
        col("id").is_null().alias("e_id_missing"),
        (col("id").str.len_chars() > TEXT_LIMITS["id"]).fill_null(False).alias("e_id_long"),
        (col("id").is_not_null() & (col(_LINE) != col("first_line"))).alias("e_id_duplicate"),
        col("kind").is_null().alias("e_kind_missing"),
        (col("kind").is_not_null() & ~col("kind").is_in(EVENT_KINDS)).alias("e_kind_unknown"),
        col("party").is_null().alias("e_party_missing"),
        (col("party").str.len_chars() > TEXT_LIMITS["party"]).fill_null(False).alias("e_party_long"),
        (col("party").is_not_null() & ~col("party").is_in(sorted(known_parties or ()))
         if known_parties is not None else pl.lit(False)).alias("e_party_unknown"),
        col("at").is_null().alias("e_at_missing"),
        (col("currency").is_not_null() & ~col("currency").str.to_uppercase().str.contains(r"^[A-Z]{3}$"))
        .alias("e_currency_bad"),
        (col("force_majeure").is_not_null() & col("p_force_majeure").is_null()).alias("e_force_majeure_bad"),
        (col("ref").str.len_chars() > TEXT_LIMITS["ref"]).fill_null(False).alias("e_ref_long"),
        (col("product").str.len_chars() > TEXT_LIMITS["product"]).fill_null(False).alias("e_product_long"),
        (col("p_quantity") < 0).fill_null(False).alias("e_quantity_negative"),
        (col("p_unit_price") < 0).fill_null(False).alias("e_unit_price_negative"),
        (col("p_list_price") < 0).fill_null(False).alias("e_list_price_negative"),
        ((col("p_discount") < 0) | (col("p_discount") > 1)).fill_null(False).alias("e_discount_range"),
        (col("p_amount").is_null() & (col("p_amount_filled").abs() >= pl.lit(NUMBER_LIMIT).cast(DECIMAL)))
        .fill_null(False).alias("e_amount_computed_large"),
    ]
    for name in ("at", "due"):
        unparsed = col(name).is_not_null() & col(f"p_{name}").is_null()
        exprs += [
            (unparsed & ~col(f"p_{name}_naive")).alias(f"e_{name}_bad"),
            (unparsed & col(f"p_{name}_naive")).alias(f"e_{name}_naive"),
        ]
    for name in NUMBER_COLUMNS:
        unparsed = col(name).is_not_null() & col(f"p_{name}").is_null()
        # With decimal_comma set, a comma is expected: no hint then.
        has_comma = pl.lit(False) if options.decimal_comma else col(name).str.contains(",", literal=True)
        exprs += [
            (unparsed & has_comma).alias(f"e_{name}_comma"),
            (unparsed & ~has_comma).alias(f"e_{name}_bad"),
            (col(f"p_{name}").abs() >= pl.lit(NUMBER_LIMIT).cast(DECIMAL)).fill_null(False).alias(f"e_{name}_large"),
        ]
    return exprs


def _collect_issues(parsed: pl.DataFrame, filename: str) -> list[ImportIssue]:
    checks = _checks()
    flags = [flag for flag, _field, _message in checks]
    if not parsed.select(pl.any_horizontal(flags).any()).item():
        return []
    issues = []
    for flag, fieldname, message in checks:
        bad = parsed.filter(pl.col(flag)).select(_LINE, fieldname, "first_line")
        for line, value, first in bad.iter_rows():
            context = {"value": _shorten(value), "first": first, "kinds": ", ".join(EVENT_KINDS),
                       "limit": TEXT_LIMITS.get(fieldname, "")}
            issues.append(ImportIssue(filename, line, fieldname, message % context))
    return issues


def _relocate(issues: list[ImportIssue], data, filename: str, options: EventOptions) -> list[ImportIssue]:
    """Issues of a CSV file whose quoted fields span several lines: polars
    counts records, the user counts lines. Only paid for when something is wrong."""
    if not isinstance(data, bytes) or b'"' not in data or not any(i.line > 1 for i in issues):
        return issues
    try:
        text = data.decode(options.encoding, errors="replace")
    except (LookupError, ValueError):  # a codec without "replace" (idna, punycode): the lines stay as counted
        return issues
    separator = options.delimiter or _guess_delimiter(data.split(b"\n", 1)[0])
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=separator)
    starts, previous = {}, 0
    for record, _row in enumerate(reader, start=1):
        starts[record] = previous + 1
        previous = reader.line_num
    return [ImportIssue(i.file, starts.get(i.line, i.line), i.field, i.message) for i in issues]


# ---------------------------------------------------------------------------
# Agreement files (YAML; docs/agreement-files.md)


_C_LOADER = hasattr(yaml, "CSafeLoader")


class _Loader(yaml.CSafeLoader if _C_LOADER else yaml.SafeLoader):  # libyaml's parser when installed
    """Safe YAML with the scalars of YAML 1.2: only true/false are booleans
    (`country: NO` stays Norway), `12:00` stays a time of day instead of the
    sexagesimal 720, and numbers with a fraction become exact Decimals."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers
            if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float", "merge", "value")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
def _scalar(read):
    """A constructor for values of one type that reports a text it cannot read (`!!int x`, an
    integer of 5,000 digits, `!!bool maybe`) as a YAML error at the value's line."""
    def construct(loader: _Loader, node: yaml.Node):
        try:
            return read(loader, node)
        except (ValueError, ArithmeticError, KeyError, TypeError):
            raise yaml.constructor.ConstructorError(
                None, None, _("the value %(value)s cannot be read as %(type)s")
                % {"value": _shorten(node.value), "type": node.tag.rsplit(":", 1)[-1]}, node.start_mark) from None
    return construct


_Loader.add_constructor("tag:yaml.org,2002:int", _scalar(lambda loader, node: int(loader.construct_scalar(node))))
_Loader.add_constructor("tag:yaml.org,2002:float",
                        _scalar(lambda loader, node: Decimal(loader.construct_scalar(node))))
_Loader.add_constructor("tag:yaml.org,2002:bool", _scalar(yaml.SafeLoader.construct_yaml_bool))


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> dt.date | str:
    # An impossible date (2025-02-30), or text tagged as a timestamp, stays text, so that it is
    # reported where it is.
    if yaml.SafeLoader.timestamp_regexp.match(loader.construct_scalar(node)) is None:
        return loader.construct_scalar(node)
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

AGREEMENT_KEYS = (
    "id", "party", "party_name", "title", "role", "country", "currency", "timezone", "valid_from", "valid_to",
    "status", "description", "owner", "deputy", "glossary", "notes", "contacts", "commitments", "versions",
)
# The keys of a commitment that are not type parameters.
COMMITMENT_KEYS = (
    "id", "type", "title", "products", "valid_from", "valid_to", "direction", "owner", "registrar", "how", "cost",
)
VERSION_KEYS = ("number", "effective_from", "summary", "reason", "agreed_by", "agreed_how", "commitments")
NOTE_KEYS = ("date", "participants", "text")
CONTACT_KEYS = ("name", "title", "email", "phone", "receives_updates")
ROLES = ("customer", "supplier")
STATUSES = ("draft", "in_force", "suspended", "ended")
DIRECTIONS = ("we_owe", "they_owe")
AGREED_HOW = ("signed", "email", "phone", "meeting", "other")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class CommitmentDoc:
    """One commitment as the file states it (in one version)."""

    id: str
    type: str
    title: str
    params: Params
    products: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    direction: str = ""
    owner: str = ""
    registrar: str = ""
    how: str = ""
    cost_amount: Decimal | None = None
    cost_hours: Decimal | None = None
    line: int = 0

    @property
    def params_data(self) -> dict[str, Any]:
        """The parameters as plain data, as `CommitmentTerms.params` stores them."""
        return params_to_data(self.params)

    def same_terms(self, other: CommitmentDoc) -> bool:
        """The contractual content is equal (not who executes it or how)."""
        return (self.type, self.title, self.params, self.products, self.valid_from, self.valid_to) == (
            other.type, other.title, other.params, other.products, other.valid_from, other.valid_to)


@dataclass(frozen=True)
class VersionDoc:
    """One version of the agreement, with its commitments as they read then."""

    number: int
    effective_from: dt.date
    summary: str
    reason: str = ""
    agreed_by: str = ""
    agreed_how: str = "email"
    commitments: tuple[CommitmentDoc, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class NoteDoc:
    date: dt.date
    text: str
    participants: str = ""


@dataclass(frozen=True)
class ContactDoc:
    name: str
    title: str = ""
    email: str = ""
    phone: str = ""
    receives_updates: bool = True


@dataclass(frozen=True)
class AgreementDoc:
    """One agreement of an agreement file, parsed and validated.

    `commitments` are the latest version's. `versions` is the history as the
    file gives it, oldest first; when the file has none it is empty, and
    `history()` stands in one version numbered 1 from `valid_from`.
    """

    id: str
    party: str
    party_name: str
    role: str
    currency: str
    timezone: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    country: str = ""
    title: str = ""
    status: str = "in_force"
    description: str = ""
    owner: str = ""
    deputy: str = ""
    glossary: dict[str, str] = field(default_factory=dict)
    notes: tuple[NoteDoc, ...] = ()
    contacts: tuple[ContactDoc, ...] = ()
    commitments: tuple[CommitmentDoc, ...] = ()
    versions: tuple[VersionDoc, ...] = ()
    line: int = 0

    def history(self) -> tuple[VersionDoc, ...]:
        """The versions, oldest first; one implicit version when the file gives none."""
        if self.versions:
            return self.versions
        return (VersionDoc(number=1, effective_from=self.valid_from, summary="", commitments=self.commitments,
                           line=self.line),)


# Nesting levels an agreement file may have: the format needs about ten. Deeper YAML is refused
# before it is composed, as libyaml composes recursively in C (and crashes on a file of brackets).
MAX_DEPTH = 64
# Nodes the aliases of a file may repeat beyond its own ("billion laughs" expands to far more).
ALIAS_LIMIT = 100_000
# Well within libyaml's stack at about 270 bytes a level; PyYAML's own composer recurses in Python.
_COMPOSE_SAFE_DEPTH = 1000 if _C_LOADER else 100


def _depth_bound(text: str) -> int:
    """An upper bound of the nesting depth of YAML `text`, cheap to compute: block collections
    nest by indentation (at least one column more for every second level), flow collections by
    brackets (an empty pair holds nothing)."""
    longest = max(map(len, text.split("\n")))
    brackets = text.count("[") - text.count("[]") + text.count("{") - text.count("{}")
    return 2 * longest + brackets + 4


def _too_deep(text: str) -> int | None:
    """The line of the first collection nested deeper than `MAX_DEPTH`, read from the parser's
    events (no nodes are built); None when there is none."""
    loader = _Loader(text)
    try:
        depth = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return None
    finally:
        loader.dispose()


class _Located:
    """The parsed YAML and the line of every key and list item in it."""

    def __init__(self, text: str, filename: str):
        self.filename = filename
        self.lines: dict[tuple, int] = {(): 1}
        self.issues: list[ImportIssue] = []
        self.data = None
        loader = _Loader(text)
        try:
            deep = _too_deep(text) if _depth_bound(text) > _COMPOSE_SAFE_DEPTH else None
            if deep is not None:
                self._refuse_depth(deep)
                return
            node = loader.get_single_node()
            if node is not None and self._walk(node, shared="&" in text):
                self.data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.data = None
            self.issues.append(ImportIssue(filename, (mark.line + 1) if mark else 1, "", _(
                "Not valid YAML: %(problem)s.") % {"problem": exc.problem or exc.context}))
        except yaml.YAMLError as exc:
            self.data = None
            line = 1
            if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow, at its position
                before = text.encode("utf-8", "surrogatepass")[:exc.position] if _C_LOADER else text[:exc.position]
                line = before.count(b"\n" if _C_LOADER else "\n") + 1
            self.issues.append(ImportIssue(filename, line, "", _("Not valid YAML: %(problem)s.")
                                           % {"problem": str(exc).splitlines()[0]}))
        finally:
            loader.dispose()

    def _refuse_depth(self, line: int) -> None:
        self.issues.append(ImportIssue(self.filename, line, "", _(
            "Nested deeper than %(limit)s levels; an agreement file needs far fewer.") % {"limit": MAX_DEPTH}))

    def _walk(self, root: yaml.Node, *, shared: bool) -> bool:
        """Note the line of every key and item, depth first in file order, and the keys given
        twice. False (with the problem noted) for a document that cannot be read: nested too
        deep, an alias inside the value it names, or aliases that repeat too much. Only a file
        with anchors (`shared`) can have aliases, so only then are nodes counted."""
        end = object()
        stack: list = [(root, (), 1)]
        inside: set[int] = set()  # the collections being walked, when aliases may lead back into one
        visits, distinct = 0, set()
        while stack:
            node, path, depth = stack.pop()
            if node is end:
                inside.discard(path)
                continue
            self.lines.setdefault(path, node.start_mark.line + 1)
            if shared:
                visits += 1
                distinct.add(id(node))
                if visits - len(distinct) > ALIAS_LIMIT:
                    self.issues.append(ImportIssue(self.filename, node.start_mark.line + 1, "", _(
                        "Aliases repeat more than %(limit)s values; write the values out instead.")
                        % {"limit": f"{ALIAS_LIMIT:,}"}))
                    return False
            if isinstance(node, yaml.ScalarNode):
                continue
            if depth > MAX_DEPTH:
                self._refuse_depth(node.start_mark.line + 1)
                return False
            if shared:
                if id(node) in inside:
                    self.issues.append(ImportIssue(self.filename, node.start_mark.line + 1, "", _(
                        "An alias refers to the value that contains it; such a value never ends.")))
                    return False
                inside.add(id(node))
                stack.append((end, id(node), depth))
            children = []
            if isinstance(node, yaml.MappingNode):
                seen = set()
                for key_node, value_node in node.value:
                    key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                    if key in seen:
                        self.issues.append(ImportIssue(self.filename, key_node.start_mark.line + 1, key,
                                                       _("The key appears twice; the first one would be lost.")))
                    seen.add(key)
                    self.lines.setdefault(path + (key,), key_node.start_mark.line + 1)
                    children.append((value_node, path + (key,), depth + 1))
            else:
                children = [(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
            stack.extend(reversed(children))
        return True

    def line(self, path: tuple) -> int:
        """The line of `path`, or of its nearest ancestor the file has."""
        while path not in self.lines:
            path = path[:-1]
        return self.lines[path]

    def has(self, path: tuple) -> bool:
        return path in self.lines

    def error(self, path: tuple, fieldname: str, message: str) -> None:
        self.issues.append(ImportIssue(self.filename, self.line(path), fieldname, message))


class _Reader:
    """Typed reads of one mapping of the file, recording located problems."""

    def __init__(self, doc: _Located, data: dict[str, Any], path: tuple, allowed: Sequence[str] | None):
        self.doc, self.data, self.path = doc, data, path
        if allowed is not None:
            for key in data:
                if key not in allowed:
                    self.error(key, _("Unknown field; expected one of: %(keys)s.") % {"keys": ", ".join(allowed)})

    def error(self, key: str, message: str) -> None:
        key = str(key)  # a YAML key may be a number or a date
        self.doc.error(self.path + (key,), key, message)

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.error(key, _("Required."))
            return None
        return value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, (dict, list, bool)):
            self.error(key, _("Enter text."))
            return default
        value = str(value).strip()
        if not value and required:
            self.error(key, _("Required."))
            return default
        if max_length and len(value) > max_length:
            self.error(key, _("At most %(limit)s characters.") % {"limit": max_length})
        return value

    def ident(self, key: str, *, max_length: int) -> str:
        value = self.text(key, required=True, max_length=max_length)
        if value and not _ID_RE.match(value):
            self.error(key, _("Use letters, digits, '-', '_' and '.' only, starting with a letter or digit: %(value)s.")
                       % {"value": _shorten(value)})
        return value

    def choice(self, key: str, choices: Sequence[str], *, required: bool = False, default: str = "") -> str:
        value = self.text(key, required=required, default=default)
        if value and value not in choices:
            self.error(key, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return value

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.error(key, _("Enter a date such as 2025-03-01: %(value)s.") % {"value": _shorten(value)})
        return None

    def number(self, key: str) -> Decimal | None:
        value = self._get(key, False)
        if value is None:
            return None
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, (bool, dict, list)) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            self.error(key, _("Enter a number of at least 0: %(value)s.") % {"value": _shorten(value)})
            return None
        return number

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, _("Enter true or false."))
            return default
        return value

    def items(self, key: str, *, required: bool = False) -> list[tuple[tuple, Any]]:
        """A list's items with their paths."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, _("Required."))
            return []
        if not isinstance(value, list):
            self.error(key, _("Enter a list."))
            return []
        return [(self.path + (key, i), item) for i, item in enumerate(value)]

    def sub(self, path: tuple, value: Any, allowed: Sequence[str] | None, label: str) -> _Reader | None:
        if not isinstance(value, dict):
            self.doc.error(path, label, _("Enter a group of fields."))
            return None
        return _Reader(self.doc, value, path, allowed)


def parse_agreements(text: str, filename: str) -> list[AgreementDoc]:
    """Parse and validate a YAML agreement file (docs/agreement-files.md).

    Returns the agreements in file order; raises `ImportErrors` with every
    problem, each at the line of the key it concerns (and, when the text ends
    in the middle of a line, that it seems cut short).
    """
    try:
        return _parse_agreements(text, filename)
    except ImportErrors as exc:
        raise noting_cut_short(exc, text, filename) from None


def noting_cut_short(errors: ImportErrors, text: str, filename: str) -> ImportErrors:
    """`errors` of a YAML text, with the reason first when the text ends in the middle of a
    line: a file cut short is often still YAML, and its errors at the cut need it."""
    if not text or text.endswith(("\n", "\r")):
        return errors
    return ImportErrors([_cut_short_issue(filename, text.count("\n") + 1), *errors.issues])


def _parse_agreements(text: str, filename: str) -> list[AgreementDoc]:
    doc = _Located(text, filename)
    if doc.issues and doc.data is None:
        raise ImportErrors(doc.issues)
    if not isinstance(doc.data, dict) or "agreements" not in doc.data:
        doc.error((), "agreements", _("The file must hold a list under the key agreements."))
        raise ImportErrors(doc.issues)
    top = _Reader(doc, doc.data, (), ("agreements",))
    agreements = _parse_list(top, "agreements", AGREEMENT_KEYS, _parse_agreement, required=True,
                             twice=_("The agreement id %(id)s is used twice (first on line %(line)s)."))
    if doc.issues:
        raise ImportErrors(doc.issues)
    return agreements


def _parse_list(reader: _Reader, key: str, allowed: Sequence[str] | None, parse, *, required: bool,
                twice: str) -> list:
    """Parse each mapping of the list `key` with `parse`, reporting an `id` used twice (message `twice`)."""
    parsed, seen = [], {}
    for path, item in reader.items(key, required=required):
        sub = reader.sub(path, item, allowed, key)
        if sub is None:
            continue
        ident = str(item.get("id") or "").strip()
        if ident in seen:
            sub.error("id", twice % {"id": ident, "line": seen[ident]})
        elif ident:
            seen[ident] = reader.doc.line(path)
        value = parse(sub)
        if value is not None:
            parsed.append(value)
    return parsed


def _parse_agreement(r: _Reader) -> AgreementDoc | None:
    before = len(r.doc.issues)
    ident = r.ident("id", max_length=64)
    party = r.text("party", required=True, max_length=64)
    timezone = r.text("timezone", required=True, max_length=64)
    if timezone and not _is_timezone(timezone):
        r.error("timezone", _("Unknown time zone: %(tz)s.") % {"tz": timezone})
    currency = r.text("currency", required=True)
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        r.error("currency", _("Not a currency code (three capital letters such as EUR): %(value)s.")
                % {"value": _shorten(currency)})
    country = r.text("country")
    if country and not _is_holiday_country(country):
        r.error("country", _("No public holiday calendar for %(value)s; use an ISO code such as NL or GB.")
                % {"value": _shorten(country)})
    valid_from = r.date("valid_from", required=True)
    valid_to = r.date("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        r.error("valid_to", _("The end must not be before the start."))
    fields = dict(
        id=ident, party=party, timezone=timezone, currency=currency, country=country,
        valid_from=valid_from, valid_to=valid_to,
        party_name=r.text("party_name", max_length=200) or party,
        role=r.choice("role", ROLES, required=True),
        title=r.text("title", max_length=200),
        status=r.choice("status", STATUSES, default="in_force"),
        description=r.text("description"),
        owner=r.text("owner", max_length=150),
        deputy=r.text("deputy", max_length=150),
        glossary=_parse_glossary(r),
        notes=tuple(_parse_notes(r)),
        contacts=tuple(_parse_contacts(r)),
        line=r.doc.line(r.path),
    )
    commitments = _parse_commitments(r, required=True)
    versions = _parse_versions(r, commitments)
    if len(r.doc.issues) > before:
        return None
    return AgreementDoc(commitments=tuple(commitments), versions=tuple(versions), **fields)


def _is_holiday_country(code: str) -> bool:
    import holidays

    return code in holidays.list_supported_countries()


def _parse_glossary(r: _Reader) -> dict[str, str]:
    value = r.data.get("glossary")
    if value is None:
        return {}
    if not isinstance(value, dict):
        r.error("glossary", _("Enter terms and their definitions (term: definition)."))
        return {}
    glossary = {}
    for term, definition in value.items():
        if not isinstance(definition, (str, int, Decimal)) or not str(definition).strip():
            r.doc.error(r.path + ("glossary", str(term)), str(term), _("Enter the term's definition as text."))
        elif len(str(term)) > 100:
            r.doc.error(r.path + ("glossary", str(term)), str(term), _("At most %(limit)s characters.") % {"limit": 100})
        else:
            glossary[str(term)] = str(definition).strip()
    return glossary


def _parse_notes(r: _Reader) -> Iterable[NoteDoc]:
    for path, item in r.items("notes"):
        note = r.sub(path, item, NOTE_KEYS, "notes")
        if note is not None:
            date, text = note.date("date", required=True), note.text("text", required=True)
            if date and text:
                yield NoteDoc(date=date, text=text, participants=note.text("participants", max_length=300))


def _parse_contacts(r: _Reader) -> Iterable[ContactDoc]:
    for path, item in r.items("contacts"):
        c = r.sub(path, item, CONTACT_KEYS, "contacts")
        if c is None:
            continue
        name = c.text("name", required=True, max_length=200)
        email = c.text("email", max_length=254)
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            c.error("email", _("Not an e-mail address: %(value)s.") % {"value": _shorten(email)})
        if name:
            yield ContactDoc(name=name, title=c.text("title", max_length=100), email=email,
                             phone=c.text("phone", max_length=40),
                             receives_updates=c.boolean("receives_updates", default=True))


def _parse_commitments(reader: _Reader, *, required: bool) -> list[CommitmentDoc]:
    return _parse_list(reader, "commitments", None, _parse_commitment, required=required, twice=_(
        "The commitment id %(id)s is used twice in this agreement (first on line %(line)s)."))


def _parse_commitment(c: _Reader) -> CommitmentDoc | None:
    before = len(c.doc.issues)
    ident = c.ident("id", max_length=64)
    type_name = c.text("type", required=True)
    if type_name and type_name not in REGISTRY:
        c.error("type", _("Unknown type %(type)s; expected one of: %(types)s.")
                % {"type": _shorten(type_name), "types": ", ".join(sorted(REGISTRY))})
        type_name = ""
    products = _parse_products(c)
    if type_name and REGISTRY[type_name].needs_products and not products:
        c.error("products", _("This type needs the products it applies to."))
    valid_from, valid_to = c.date("valid_from"), c.date("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        c.error("valid_to", _("The end must not be before the start."))
    cost_amount = cost_hours = None
    if c.data.get("cost") is not None:
        cost = c.sub(c.path + ("cost",), c.data["cost"], ("amount", "hours"), "cost")
        if cost is not None:
            cost_amount, cost_hours = cost.number("amount"), cost.number("hours")
    values = dict(
        id=ident, type=type_name, products=products, valid_from=valid_from, valid_to=valid_to,
        title=c.text("title", required=True, max_length=300),
        direction=c.choice("direction", DIRECTIONS),
        owner=c.text("owner", max_length=150),
        registrar=c.text("registrar", max_length=150),
        how=c.text("how", max_length=300),
        cost_amount=cost_amount, cost_hours=cost_hours,
        line=c.doc.line(c.path),
    )
    params = _parse_params(c, type_name) if type_name else None
    if params is None or len(c.doc.issues) > before:
        return None
    return CommitmentDoc(params=params, **values)


def _parse_products(c: _Reader) -> tuple[str, ...]:
    value = c.data.get("products")
    if value is None:
        return ()
    if not isinstance(value, list) or any(isinstance(p, (dict, list, bool)) or p is None for p in value):
        c.error("products", _("Enter a list of product ids."))
        return ()
    return tuple(str(p).strip() for p in value)


def _parse_params(c: _Reader, type_name: str) -> Params | None:
    data = {k: v for k, v in c.data.items() if k not in COMMITMENT_KEYS}
    params, errors = validate_params(type_name, data)
    reported: dict[tuple[int, str], str] = {}
    for err in errors:
        path = tuple(int(p) if p.isdigit() else p for p in err.field.split(".")) if err.field else ()
        fieldname = err.field
        # Pydantic names the alternatives of a union field after the field
        # ("due.date", "due.datetime"): report them once, on the field itself.
        for depth in range(len(path), 0, -1):
            if c.doc.has(c.path + path[:depth]):
                if depth < len(path) and not isinstance(_value_at(data, path[:depth]), (dict, list)):
                    fieldname = ".".join(map(str, path[:depth]))
                break
        reported[(c.doc.line(c.path + path), fieldname)] = err.message
    for (line, fieldname), message in reported.items():
        c.doc.issues.append(ImportIssue(c.doc.filename, line, fieldname, message))
    return params


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _parse_versions(r: _Reader, latest: list[CommitmentDoc]) -> list[VersionDoc]:
    versions: list[VersionDoc] = []
    entries = r.items("versions")
    for index, (path, item) in enumerate(entries):
        v = r.sub(path, item, VERSION_KEYS, "versions")
        if v is None:
            continue
        number = v.data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            v.error("number", _("Enter a version number (1, 2, ...)."))
            continue
        if versions and number <= versions[-1].number:
            v.error("number", _("Versions must be listed oldest first with increasing numbers."))
        effective_from = v.date("effective_from", required=True)
        if versions and effective_from and effective_from < versions[-1].effective_from:
            v.error("effective_from", _("A version cannot take effect before the version it amends."))
        is_latest = index == len(entries) - 1
        if "commitments" in v.data or not is_latest:
            commitments = _parse_commitments(v, required=not is_latest)
            if is_latest and not _same_commitments(commitments, latest):
                v.error("commitments", _(
                    "The latest version's commitments differ from the agreement's commitments; "
                    "they must read the same (or leave them out of the latest version)."))
        else:
            commitments = latest
        versions.append(VersionDoc(
            number=number, effective_from=effective_from or dt.date.min,
            summary=v.text("summary", required=True), reason=v.text("reason"),
            agreed_by=v.text("agreed_by", max_length=200),
            agreed_how=v.choice("agreed_how", AGREED_HOW, default="email"),
            commitments=tuple(commitments), line=r.doc.line(path),
        ))
    _check_types_stay(r, versions)
    return versions


def _same_commitments(a: list[CommitmentDoc], b: list[CommitmentDoc]) -> bool:
    by_id = {c.id: c for c in b}
    return len(a) == len(b) and all(c.id in by_id and c.same_terms(by_id[c.id]) for c in a)


def _check_types_stay(r: _Reader, versions: list[VersionDoc]) -> None:
    """A commitment keeps its type through the versions (a new type is a new commitment)."""
    first_type: dict[str, str] = {}
    for version in versions:
        for c in version.commitments:
            if first_type.setdefault(c.id, c.type) != c.type:
                r.doc.issues.append(ImportIssue(r.doc.filename, c.line, "type", _(
                    "A commitment cannot change its type between versions; give the new one another id.")))


def docs_to_specs(docs: Iterable[AgreementDoc]) -> list[Spec]:
    """Engine specs for the agreements of a file: one per commitment that
    appears in any version, latest commitments first. Draft agreements are
    not evaluated (as in database mode). Waivers and pauses are empty."""
    specs = []
    for doc in docs:
        if doc.status == "draft":
            continue
        history = doc.history()
        ids = [c.id for c in doc.commitments]
        for version in history:
            ids += [c.id for c in version.commitments if c.id not in ids]
        for ident in ids:
            entries, type_name = [], ""
            for version in history:
                found = next((c for c in version.commitments if c.id == ident), None)
                if found is not None:
                    type_name = found.type
                    entries.append(HistoryEntry(
                        version=version.number, effective_from=version.effective_from, title=found.title,
                        params=found.params, products=found.products,
                        valid_from=found.valid_from, valid_to=found.valid_to))
                elif entries:
                    entries.append(HistoryEntry(version=version.number, effective_from=version.effective_from))
            specs.append(Spec(
                agreement=doc.id, party=doc.party, role=doc.role, currency=doc.currency, timezone=doc.timezone,
                country=doc.country, agreement_from=doc.valid_from, agreement_to=doc.valid_to,
                commitment=ident, type=type_name,
                segments=build_segments(entries, first_version=history[0].number),
            ))
    return specs
