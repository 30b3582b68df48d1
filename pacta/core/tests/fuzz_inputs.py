"""Bad input for the fuzz tests (test_fuzz_inputs.py, pacta/api/tests/test_fuzz_api_inputs.py).

Every strategy starts from a valid document and breaks it in a few places, so that most
examples get past the first check and reach the deep ones:

- `event_csv()` / `event_xlsx()`: event files (docs/event-files.md) as bytes: missing and extra
  columns, wrong types, empty cells, huge and negative numbers, bad dates, times and offsets,
  unknown kinds and parties, duplicated ids, formula-looking and very long text, NUL bytes;
  for CSV also BOMs, other encodings, odd delimiters, line ends and quoting chaos, for XLSX
  cells of every type openpyxl writes, and files that are no workbook at all;
- `event_records()`: the API's JSON batches of events, with values of every JSON type;
- `agreement_yaml()`: agreement files (docs/agreement-files.md) with all eleven commitment types,
  broken in the data (wrong types everywhere, missing and unknown keys, unknown types, bad
  parameters) and in the text (tags, anchors and aliases, duplicate keys, other roots, deep
  nesting, garbage bytes, truncation).

`assert_located(exc, filename)` is the check every refusal must pass: each problem names its
file, its line (or row) and its field, with a message that is no traceback.

How many examples each test runs: `PACTA_FUZZ_EXAMPLES` (default 50), derandomized when `CI`
is set, so that a CI run is reproducible; `PACTA_FUZZ_EXAMPLES=2000 make test-sqlite
PYTEST_ARGS="-k fuzz"` digs deeper locally.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import re
import string
import zipfile
from decimal import Decimal

import openpyxl
import time_machine
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pacta.core.commitments.base import EVENT_KINDS
from pacta.core.imports import CANONICAL_COLUMNS, ImportErrors, ImportIssue

EXAMPLES = int(os.environ.get("PACTA_FUZZ_EXAMPLES") or 50)
settings.register_profile(
    "pacta-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("pacta-fuzz")

PARTY = "ALFKI"  # the party of the tests' world


# ---------------------------------------------------------------------------
# the check every refusal must pass


def assert_located(exc: ImportErrors, filename: str, *, first: int = 1) -> None:
    """Every problem names the file, a line (or row) from `first` on, a field (or none: the whole
    line) and says what is wrong in words."""
    assert isinstance(exc, ImportErrors) and exc.issues, exc
    for issue in exc.issues:
        assert isinstance(issue, ImportIssue)
        assert issue.file == filename, issue
        assert type(issue.line) is int and issue.line >= first, issue
        assert isinstance(issue.field, str), issue
        assert isinstance(issue.message, str) and issue.message.strip(), issue
        assert "Traceback" not in issue.message and "Error(" not in issue.message, issue
        assert str(issue).startswith(f"{filename}:{issue.line}: "), issue
        assert len(str(issue).splitlines()) == 1, issue  # one problem, one line


ISSUE_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): \S")


def assert_issue_lines(lines: list[str], filename: str) -> None:
    """Problems as printed (`FILE:LINE: field: what is wrong`): each names the file and a line."""
    assert lines
    for text in lines:
        match = ISSUE_LINE.match(text)
        assert match and match["file"] == filename and int(match["line"]) >= 1, text
        assert "Traceback" not in text


# ---------------------------------------------------------------------------
# values that break things

BAD_NUMBERS = [
    "-1", "-0", "-0.000001", "0", "1e14", "-1e14", "99999999999999.999999", "100000000000000", "1e400", "1e-400",
    "1E+999999999", "9" * 40, "0." + "0" * 30 + "1", "NaN", "nan", "inf", "-Infinity", "1,5", "1.234,5", "1 000",
    "0x1F", "1_000", "½", "١٢٣", "𝟙𝟚", "+5", ".5", "5.", "1e3", "--1", "1e", "e5", "12%", "€12", "12 EUR",
]
BAD_MOMENTS = [
    "2025-02-30", "2025-13-01", "2025-00-10", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00+14:00", "2025-03-01T25:00:00+01:00",
    "2025-03-01T09:60:00Z", "2025-03-01T09:30:00+24:00", "2025-03-01T09:30:00+99:99", "2025-03-01T09:30:00",
    "2025-03-01 09:30", "2025-03-01T09:30:00.1234567890123+01:00", "2025-03-01T09:30:00+0100", "2025-03-01t09:30z",
    "2025-03-01T09:30:00 Europe/Berlin", "2025-03-31T02:30:00", "01.03.2025", "03/01/2025", "2025-3-1", "20250301",
    "yesterday", "1e10", "1740819000", "2025-W09-6", "2025-060", "T09:30:00", "2025-03-01T", "2025-03-01Z",
]
BAD_TEXT = [
    "", " ", "\t", "\x00", "a\x00b", "\ufeff", "\u202e", "\u200b", "EUR\u00a0", "€", "eu", "EURO", "E1R",
    "TRUE", "maybe", "null", "None", "'quoted", '"', '""', "a,b", "a;b", "a\nb", "a\r\nb", "\r", "alfki",
    f"{PARTY} ", "NOBODY", "x" * 65, "x" * 129, "x" * 5000, "=1+2", "=HYPERLINK(\"http://example.com\")",
    "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "=1/0", "{{ 7*7 }}", "<script>alert(1)</script>", "%s%s%(x)s",
    "../../etc/passwd", "\\\\server\\share", "\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
    "order ", "ORDER", "Delivery", "credit note", "1", "true", "yes", "Ja", "2",
]


def bad_cell() -> st.SearchStrategy[str]:
    """Text a cell of an event file may hold when it should not."""
    return st.one_of(
        st.sampled_from(BAD_NUMBERS + BAD_MOMENTS + BAD_TEXT),
        st.text(max_size=20),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=60, max_size=300),
        st.integers(-(10 ** 30), 10 ** 30).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        st.sampled_from(EVENT_KINDS).map(lambda k: k.upper() if len(k) % 2 else f" {k} "),
    )


# ---------------------------------------------------------------------------
# event rows

_days = st.dates(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
_offsets = st.sampled_from(["+01:00", "+02:00", "Z", "-05:00", "+00:00", "+05:45", "-12:00", "+14:00"])


@st.composite
def moment_text(draw) -> str:
    day = draw(_days)
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return day.isoformat()
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    time = f"{hour:02}:{minute:02}" + ("" if shape == 3 else f":{second:02}")
    if shape == 4:
        time += f".{draw(st.integers(0, 999999)):06}"
    return f"{day.isoformat()}{draw(st.sampled_from('T '))}{time}{draw(_offsets)}"


_numbers = st.one_of(st.integers(0, 100_000).map(str),
                     st.decimals(0, 10_000, places=2, allow_nan=False, allow_infinity=False).map(str))


@st.composite
def valid_row(draw, index: int, parties=(PARTY,)) -> dict[str, str]:
    """One event as a row of the canonical columns, every value valid."""
    optional = {
        "ref": st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=10),
        "product": st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=8),
        "quantity": _numbers, "unit_price": _numbers, "list_price": _numbers,
        "discount": st.sampled_from(["0", "0.05", "0.1", "1", "0.333333"]),
        "amount": st.decimals(-10_000, 10_000, places=2, allow_nan=False, allow_infinity=False).map(str),
        "currency": st.sampled_from(["EUR", "eur", "USD", "NOK"]),
        "due": moment_text(), "force_majeure": st.sampled_from(["true", "false", "yes", "No", "1", "0", ""]),
    }
    row = {"id": f"E{index}", "kind": draw(st.sampled_from(EVENT_KINDS)), "party": draw(st.sampled_from(parties)),
           "at": draw(moment_text())}
    for name, values in optional.items():
        row[name] = draw(values) if draw(st.booleans()) else ""
    return row


@st.composite
def event_table(draw, parties=(PARTY,)) -> tuple[list[str], list[list[str]]]:
    """A header and rows of text: valid rows, then a few mutations of the table."""
    count = draw(st.integers(0, 5))
    rows = [draw(valid_row(i + 1, parties)) for i in range(count)]
    header = list(CANONICAL_COLUMNS)
    table = [[row[c] for c in header] for row in rows]
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop", "add", "rename", "dup_id", "dup_column",
                                       "short", "long", "blank", "shuffle"]))
        width = len(header)
        if action == "cell" and table and width:
            r = draw(st.integers(0, len(table) - 1))
            if table[r]:
                table[r][draw(st.integers(0, len(table[r]) - 1))] = draw(bad_cell())
        elif action == "drop" and width:
            c = draw(st.integers(0, width - 1))
            del header[c]
            for row in table:
                del row[c:c + 1]
        elif action == "add":
            header.append(draw(st.one_of(st.sampled_from(["colour", "", " ID ", "Kind", "line", "source", "__line",
                                                          "c0", "id"]), st.text(max_size=10))))
            for row in table:
                row.append(draw(bad_cell()))
        elif action == "rename" and width:
            c = draw(st.integers(0, width - 1))
            header[c] = draw(st.sampled_from([header[c].upper(), f"  {header[c]} ", header[c] + "x", ""]))
        elif action == "dup_id" and len(table) > 1 and "id" in header:
            c = header.index("id")
            if c < min(len(table[0]), len(table[-1])):
                table[-1][c] = table[0][c]
        elif action == "dup_column" and width:
            c = draw(st.integers(0, width - 1))
            header.append(header[c])
            for row in table:
                row.append(row[c] if c < len(row) else "")
        elif action == "short" and table:
            r = draw(st.integers(0, len(table) - 1))
            table[r] = table[r][: draw(st.integers(0, len(table[r])))]
        elif action == "long" and table:
            r = draw(st.integers(0, len(table) - 1))
            table[r] = table[r] + [draw(bad_cell()) for _ in range(draw(st.integers(1, 3)))]
        elif action == "blank":
            table.insert(draw(st.integers(0, len(table))), [""] * width)
        elif action == "shuffle" and table:
            table = draw(st.permutations(table))
    return header, table


def _csv_text(header: list[str], table: list[list[str]], delimiter: str, quoting: int, ending: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=ending, escapechar="\\")
    for row in [header, *table]:
        try:
            writer.writerow(row)
        except csv.Error:  # a row QUOTE_NONE cannot write (one empty field)
            out.write(ending)
    return out.getvalue()


_ENCODINGS = ["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]
_RAW = st.sampled_from([b'"', b'""', b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"\r", b"\n", b"\r\n", b",", b";",
                        b"\t", b"\\", b"'", b"\x1a", b"\xe2\x80\xa8"])


@st.composite
def event_csv(draw, parties=(PARTY,)) -> bytes:
    """An event file as CSV bytes: a mutated table, written with some delimiter, quoting, line end and
    encoding, and then perhaps hurt at the byte level (stray quotes, NUL, BOM, cut short)."""
    header, table = draw(event_table(parties))
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|", " "]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
    ending = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = _csv_text(header, table, delimiter, quoting, ending)
    data = text.encode(draw(st.sampled_from(_ENCODINGS)), errors="replace")
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["insert", "insert", "cut", "delete", "bom", "garbage"]))
        at = draw(st.integers(0, len(data)))
        if action == "insert":
            data = data[:at] + draw(_RAW) + data[at:]
        elif action == "cut":
            data = data[:at]
        elif action == "delete":
            data = data[:at] + data[at + 1:]
        elif action == "bom":
            data = b"\xef\xbb\xbf" + data
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    return data


# --- XLSX

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value() -> st.SearchStrategy:
    """A cell value of any type openpyxl writes."""
    return st.one_of(
        bad_cell(),
        st.none(),
        st.booleans(),
        st.integers(-(2 ** 63), 2 ** 63),
        st.floats(allow_nan=False),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10 ** 16, max_value=10 ** 16),
        st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
        st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
        st.times(),
        st.timedeltas(dt.timedelta(days=-1000), dt.timedelta(days=1000)),
        st.sampled_from(["=1/0", "=NOW()", '=HYPERLINK("http://example.com")', "=A1", "#N/A", "#DIV/0!"]),
    )


def _cell(value):
    if isinstance(value, str):
        return _ILLEGAL.sub("?", value)[:32767]
    return value


def _saved(workbook) -> bytes:
    """The workbook's bytes, the same every time (openpyxl stamps the file and its parts with the clock)."""
    stamp = dt.datetime(2025, 1, 1)
    workbook.properties.created = stamp
    saved = io.BytesIO()
    with time_machine.travel(stamp.replace(tzinfo=dt.timezone.utc), tick=False):
        workbook.save(saved)
    source, out = zipfile.ZipFile(saved), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6]), source.read(info),
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


@st.composite
def event_xlsx(draw, parties=(PARTY,)) -> bytes:
    """An event file as XLSX bytes: the table's cells as text or as typed cells (numbers, dates with and
    without a time, times, durations, booleans, formulas), odd sheets; or bytes that are no workbook."""
    header, table = draw(event_table(parties))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if draw(st.booleans()):  # the events are not on the first sheet
        sheet.title = "notes"
        sheet.append(["see the other sheet"])
        sheet = workbook.create_sheet("events")
    typed = draw(st.booleans())
    header_row = [_cell(draw(xlsx_value())) if draw(st.integers(0, 9)) == 0 else h for h in header]
    sheet.append([_cell(h) for h in header_row])
    for row in table:
        cells = []
        for value in row:
            if typed and draw(st.integers(0, 2)) == 0:
                value = draw(xlsx_value())
            cells.append(_cell(value))
        if draw(st.integers(0, 5)) == 0:
            cells += [_cell(draw(xlsx_value())) for _ in range(draw(st.integers(1, 3)))]
        sheet.append(cells)
    if draw(st.integers(0, 5)) == 0:
        sheet.cell(row=draw(st.integers(1, 300)), column=draw(st.integers(1, 40)), value=_cell(draw(xlsx_value())))
    data = _saved(workbook)
    damage = draw(st.integers(0, 9))
    if damage == 0:
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == 1:
        data = draw(st.binary(max_size=200))
    elif damage == 2:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at + 1:]
    elif damage == 3:
        data = _damaged_member(draw, data)
    return data


_XML_DAMAGE = [b"<", b">", b"&", b'"', b"</x>", b"\x00", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;"]


def _damaged_member(draw, data: bytes) -> bytes:
    """The workbook with one of its parts left out, replaced by garbage, cut short or with its XML broken."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    names = source.namelist()
    victim, how = draw(st.sampled_from(names)), draw(st.sampled_from(["drop", "garbage", "cut", "xml"]))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            body = source.read(name)
            if name == victim:
                if how == "drop":
                    continue
                if how == "garbage":
                    body = draw(st.binary(max_size=100))
                elif how == "cut":
                    body = body[: draw(st.integers(0, len(body)))]
                else:
                    at = draw(st.integers(0, len(body)))
                    body = body[:at] + draw(st.sampled_from(_XML_DAMAGE)) + body[at:]
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


# --- column mappings (docs/event-files.md, "Other layouts")

FORMAT_PARTS = ["%d", "%m", "%Y", "%y", "%H", "%M", "%S", "%z", "%Z", "%f", "%.f", "%j", "%a", "%b", "%p", "%I",
                "%%", "%", "%Q", "%s", "%e", "%:z", "%#z", "%V", "%G", "%u", "%.3f", ".", "-", " ", "T", ":", "/"]
SHOP_COLUMNS = {"id": "Beleg", "kind": "Art", "party": "Kunde", "at": "Datum", "quantity": "Menge", "unit_price": "Preis"}


@st.composite
def shop_csv(draw, parties=(PARTY,)) -> bytes:
    """A file of another layout: German column names, dates and decimal commas, separated by semicolons."""
    lines = [";".join(SHOP_COLUMNS.values())]
    for i in range(draw(st.integers(0, 4))):
        day = draw(_days)
        lines.append(";".join([f"S{i}", draw(st.sampled_from(EVENT_KINDS)), draw(st.sampled_from(parties)),
                               day.strftime("%d.%m.%Y") + draw(st.sampled_from(["", " 09:30", " 23:59"])),
                               draw(st.sampled_from(["3", "1.234,5", "0,5", "-1", "x"])),
                               draw(st.sampled_from(["10,00", "1.234,50", "", "1e3"]))]))
    return ("\n".join(lines) + "\n").encode(draw(st.sampled_from(["utf-8", "cp1252"])))


@st.composite
def column_mapping(draw) -> dict:
    """A mapping as the mapping page saves it: file columns by canonical column, and options of any kind."""
    options = {}
    if draw(st.booleans()):
        options["delimiter"] = draw(st.one_of(st.sampled_from([",", ";", "\t", "|", " ", '"', "\n", ";;", "é", "\\"]),
                                              st.text(max_size=2)))
    if draw(st.booleans()):
        options["decimal_comma"] = draw(st.booleans())
    for name in ("date_format", "datetime_format"):
        if draw(st.booleans()):
            options[name] = "".join(draw(st.lists(st.sampled_from(FORMAT_PARTS), max_size=6)))
    if draw(st.booleans()):
        options["timezone"] = draw(st.sampled_from(["Europe/Berlin", "UTC", "Asia/Kathmandu", "Pacific/Chatham",
                                                    "Nowhere/City", "+01:00", "../../etc/passwd"]))
    if draw(st.booleans()):
        options["defaults"] = draw(st.dictionaries(st.sampled_from(CANONICAL_COLUMNS + ("colour",)),
                                                   st.one_of(st.sampled_from(["EUR", "order", PARTY, "2025-03-01"]),
                                                             bad_cell()), max_size=3))
    if draw(st.booleans()):
        options["encoding"] = draw(st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16", "utf-7", "punycode",
                                                    "idna", "ascii", "utf-8-sig", "mac_roman", "shift_jis"]))
    if draw(st.booleans()):
        options["sheet"] = draw(st.sampled_from(["events", "notes", "Sheet", "x" * 40]))
    names = list(SHOP_COLUMNS.values()) + list(CANONICAL_COLUMNS) + ["Colour", " beleg ", ""]
    columns = draw(st.dictionaries(st.sampled_from(CANONICAL_COLUMNS), st.sampled_from(names), max_size=6))
    if draw(st.booleans()):
        columns.update({k: v for k, v in SHOP_COLUMNS.items() if k not in columns})
    return {"mapping": columns, "options": options}


# --- JSON records (the API)

def json_value() -> st.SearchStrategy:
    """Any JSON value, from plain text and numbers to huge integers, lists and objects."""
    scalars = st.one_of(
        bad_cell(), st.none(), st.booleans(), st.integers(-(10 ** 40), 10 ** 40),
        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, -1, 1e300, -1e-300, 2 ** 63, 0.1]),
    )
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                        max_leaves=6)


@st.composite
def event_records(draw, parties=(PARTY,)) -> list:
    """A batch of events as the API takes them (objects of the canonical fields), broken here and there."""
    records: list = [{k: v for k, v in draw(valid_row(i + 1, parties)).items() if v != ""}
                     for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["value", "value", "value", "text", "drop", "add", "record", "dup_id", "typed"]))
        r = draw(st.integers(0, len(records) - 1))
        record = records[r]
        if action in ("value", "text") and isinstance(record, dict):
            name = draw(st.sampled_from(CANONICAL_COLUMNS))
            record[name] = draw(json_value() if action == "value" else bad_cell())
        elif action == "typed" and isinstance(record, dict):
            name = draw(st.sampled_from(["quantity", "unit_price", "discount", "list_price", "amount",
                                         "force_majeure", "id", "party"]))
            record[name] = draw(st.one_of(st.integers(-(10 ** 20), 10 ** 20),
                                          st.floats(allow_nan=False, allow_infinity=False), st.booleans()))
        elif action == "drop" and isinstance(record, dict) and record:
            record.pop(draw(st.sampled_from(sorted(record))))
        elif action == "add" and isinstance(record, dict):
            record[draw(st.one_of(st.sampled_from(["colour", "line", "source", "ID", ""]), st.text(max_size=8)))] = \
                draw(json_value())
        elif action == "record":
            records[r] = draw(json_value())
        elif action == "dup_id" and len(records) > 1 and isinstance(records[0], dict) and isinstance(record, dict):
            record["id"] = records[0].get("id")
    return records


# ---------------------------------------------------------------------------
# agreement files

def _commitments() -> list[dict]:
    """One commitment of each of the eleven types (docs/commitments.md)."""
    return [
        {"id": "on-time", "type": "on_time_delivery", "title": "Deliver every order by its promised date",
         "owner": "olav", "cost": {"amount": Decimal("2.50"), "hours": Decimal("0.1")}, "grace_days": 0,
         "penalty": {"percent": 2, "per_days": 1, "cap_percent": 10, "force_majeure": True}, "target_rate": 95},
        {"id": "call-ahead", "type": "notice_before_delivery", "title": "Call ahead of each delivery",
         "direction": "we_owe", "how": "on the route sheet", "min_before": "PT2H", "max_before": "PT48H"},
        {"id": "window", "type": "delivery_window", "title": "Deliver within opening hours",
         "weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "07:00", "to": "16:00"},
        {"id": "minimum", "type": "volume_commitment", "title": "Minimum quantity per quarter",
         "period": "quarter", "measure": "quantity", "minimum": 2090, "shortfall_fee": Decimal("0.5")},
        {"id": "rebate", "type": "volume_rebate", "title": "Quarterly turnover rebate", "period": "quarter",
         "measure": "amount", "mode": "whole", "payout_days": 30,
         "tiers": [{"from": 6100, "rate": 1}, {"from": 9100, "rate": 2}]},
        {"id": "volume-price", "type": "conditional_price", "title": "Special price for the volume",
         "products": ["P0248"], "price": "3.03", "list_price": "3.57", "volume": 140, "period": "quarter"},
        {"id": "net-price", "type": "agreed_price", "title": "Fixed price", "products": ["P0279", 42],
         "price": "3.77"},
        {"id": "payment", "type": "payment_term", "title": "Invoices are paid on time", "days": 45,
         "interest_percent": 8},
        {"id": "support", "type": "response_time", "title": "Answer every ticket in time", "within": "PT4H",
         "target_rate": 90, "credits": [{"below": 90, "percent": 5}, {"below": 75, "percent": 10}],
         "monthly_fee": 500},
        {"id": "status-update", "type": "recurring", "title": "A status update every two weeks", "kind": "update",
         "every": "P14D", "warn_before": "P2D"},
        {"id": "review", "type": "deadline", "title": "Annual price review attested", "kind": "attestation",
         "ref": "price-review", "due": dt.date(2025, 6, 30), "remind_before": "P14D"},
    ]


def valid_agreements() -> dict:
    """A valid agreement file's data: an agreement with every commitment type, notes, contacts and two
    versions, and a draft without versions."""
    latest = _commitments()
    first = [dict(c, title=c["title"] + " (first version)") for c in latest[:6]]
    return {"agreements": [
        {"id": "ALFKI-FUZZ", "party": PARTY, "party_name": "Alfreds Futterkiste", "title": "Terms 2025",
         "role": "customer", "country": "DE", "currency": "EUR", "timezone": "Europe/Berlin",
         "valid_from": dt.date(2025, 1, 1), "valid_to": dt.date(2025, 12, 31), "status": "in_force",
         "description": "Frame agreement.\n", "owner": "olav", "deputy": "mona",
         "glossary": {"delivered": "at the customer's dock"},
         "notes": [{"date": dt.date(2024, 12, 3), "participants": "Olav, Maria", "text": "One hour's notice."}],
         "contacts": [{"name": "Maria Anders", "email": "maria@example.com", "receives_updates": True}],
         "commitments": latest,
         "versions": [
             {"number": 1, "effective_from": dt.date(2025, 1, 1), "summary": "First version.", "agreed_how": "signed",
              "commitments": first},
             {"number": 2, "effective_from": dt.date(2025, 4, 1), "summary": "All eleven.", "agreed_by": "Maria",
              "agreed_how": "email"},
         ]},
        {"id": "BLAUS-FUZZ", "party": "BLAUS", "role": "supplier", "currency": "NOK", "timezone": "Europe/Oslo",
         "country": "NO", "valid_from": dt.date(2025, 1, 1), "status": "draft",
         "commitments": [dict(latest[7], id="pay-them")]},
    ]}


class _Number(str):
    """A number written as it is (1e400, 0.1): YAML that reads it as a number."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))
_Dumper.add_representer(_Number, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


BAD_VALUES = [
    None, "", " ", "x", "?", -1, 0, 1, 10 ** 40, -(10 ** 40), _Number("1e400"), _Number("1e-400"), _Number("-0.0"),
    _Number("123456789012345678901234567890.123456789"), Decimal("0.1"), True, False, [], {}, [1, [2, [3]]],
    {"a": {"b": 1}}, [{}], [None], dt.date(2025, 2, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31),
    dt.datetime(2025, 3, 1, 9, 30), dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.timezone.utc), "2025-02-30",
    "2025-13-01", "PT", "P", "P-1D", "PT-1H", "P99999999999999D", "P1Y", "P1M", "PT0S", "25:00", "99:99", "7",
    "07:00:00.5", "x" * 500, "a\x00b", "\u202e", "=1+2", "EUR", "eur", "Europe/Nowhere", "UTC", "Mars/Olympus",
    "NO", "XX", "in_force", "draft", "we_owe", "mon", "quarter", "month", "amount", "quantity", "whole", "marginal",
    "attestation", "update", "on_time_delivery", "deadline", "%(x)s", "{0}", "\\", "'",
]


def bad_value() -> st.SearchStrategy:
    """A value where another was expected; a fresh copy, as the mutations change lists and mappings in place."""
    return _bad_values().map(copy.deepcopy)


def _bad_values() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(BAD_VALUES),
        st.text(max_size=12),
        st.integers(-(10 ** 6), 10 ** 6),
        st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: _Number(str(d))),
        st.lists(st.sampled_from(BAD_VALUES[:20]), max_size=3),
        st.dictionaries(st.sampled_from(["from", "rate", "percent", "below", "a", "date", "text", "amount"]),
                        st.sampled_from(BAD_VALUES[:30]), max_size=3),
    )


def _paths(data, prefix=()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, prefix + (i,))
    return found


def _parent(data, path):
    for part in path[:-1]:
        data = data[part]
    return data


TYPE_NAMES = ["on_time_delivery", "notice_before_delivery", "delivery_window", "volume_commitment", "volume_rebate",
              "conditional_price", "agreed_price", "payment_term", "response_time", "recurring", "deadline"]
KEYS = ["id", "type", "title", "party", "role", "currency", "timezone", "valid_from", "valid_to", "status",
        "commitments", "versions", "number", "effective_from", "summary", "products", "cost", "penalty", "tiers",
        "credits", "colour", "", "<<", "agreements", "params"]


@st.composite
def agreement_data(draw) -> dict:
    """The valid file's data with a few values replaced, keys removed or added, types swapped."""
    data = valid_agreements()
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        action = draw(st.sampled_from(["value", "value", "value", "drop", "add", "type", "empty", "root"]))
        if action == "value":
            parent[last] = draw(bad_value())
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))] = draw(bad_value())
        elif action == "type" and isinstance(parent[last], dict) and "type" in parent[last]:
            parent[last]["type"] = draw(st.one_of(st.sampled_from(TYPE_NAMES), st.sampled_from(["", "on time",
                                                                                                  "ON_TIME_DELIVERY",
                                                                                                  "unknown"])))
        elif action == "empty" and isinstance(parent[last], (dict, list)):
            parent[last] = type(parent[last])()
        elif action == "root":
            data = draw(st.one_of(bad_value(), st.just({"agreements": draw(bad_value())})))
            if not isinstance(data, dict):
                return data
    return data


def to_yaml_text(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


# Nine aliases of nine aliases … : a billion values if expanded (https://en.wikipedia.org/wiki/Billion_laughs_attack).
BILLION_LAUGHS = ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi")) + "agreements: [*i]\n").encode()

TAGS = ["!!python/object/apply:os.system ['echo hi']", "!!python/object:builtins.dict {}", "!!python/name:os.system",
        "!!python/tuple [1, 2]", "!!binary AAAA", "!!binary '@@@'", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]",
        "!custom x", "!!timestamp nope", "!!int x", "!!int 12", "!!float x", "!!bool maybe", "!!null x", "!!str",
        "!!map []", "!!seq {}", "!<tag:yaml.org,2002:python/object/new:os.system> [x]", "!!merge x", "!!value x"]


@st.composite
def agreement_yaml(draw) -> bytes:
    """An agreement file as bytes: the mutated data written as YAML, then hurt as text (tags,
    anchors and aliases, duplicated keys, tabs, deep nesting, other roots) and as bytes."""
    text = to_yaml_text(draw(agreement_data()))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):  # most examples: broken in the data only
        lines = text.split("\n")
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[at]
        action = draw(st.sampled_from(["tag", "tag", "anchor", "duplicate", "tab", "nest", "text", "cut", "root",
                                       "documents"]))
        if action == "tag" and ": " in line:
            key, _sep, _value = line.partition(": ")
            lines[at] = f"{key}: {draw(st.sampled_from(TAGS))}"
        elif action == "anchor" and ": " in line:
            key, _sep, value = line.partition(": ")
            lines[at] = f"{key}: &a {value}"
            other = draw(st.integers(0, len(lines) - 1))
            if ": " in lines[other] and other != at:
                lines[other] = lines[other].partition(": ")[0] + draw(st.sampled_from([": *a", ": *nope", ": [*a, *a]"]))
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "tab":
            lines[at] = line.replace("  ", "\t", 1)
        elif action == "nest" and ": " in line:
            depth = draw(st.sampled_from([5, 50, 200]))
            lines[at] = line.partition(": ")[0] + ": " + "[" * depth + "1" + "]" * depth
        elif action == "text":
            lines[at] = line[: draw(st.integers(0, len(line)))] + draw(st.text(max_size=10)) + line[len(line) // 2:]
        elif action == "cut":
            lines = lines[:at]
        elif action == "root":
            lines = [draw(st.sampled_from(["- agreements", "agreements", "42", "null", "[]", "''", "---", "...",
                                           "agreements:", "agreements: ~", "? [a]\n: b", "%YAML 1.1\n---"]))] + (
                lines if draw(st.booleans()) else [])
        elif action == "documents":
            lines += ["---", "agreements: []"]
        text = "\n".join(lines)
    data = text.encode("utf-8")
    damage = draw(st.integers(0, 11))
    if damage == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=10)) + data[at:]
    elif damage == 1:
        data = b"\xef\xbb\xbf" + data
    elif damage == 2:
        data = text.replace("\n", "\r\n").encode(draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])),
                                                  errors="replace")
    return data
