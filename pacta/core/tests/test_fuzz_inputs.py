"""Bad input everywhere is fuzzed: generated event files (CSV, XLSX) and agreement files (YAML),
valid documents broken in a few places (fuzz_inputs.py), go through every entry point — the
readers, `pacta check` in file mode, the imports into the register and the web upload pages —
and each answer is either success or `ImportErrors` whose every problem names its file, line and
field; never another exception, never a 500, never a traceback on a page.

The API's entry points are fuzzed in pacta/api/tests/test_fuzz_api_inputs.py. The number of
examples: `PACTA_FUZZ_EXAMPLES` (fuzz_inputs.py).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis import strategies as st

from pacta.core.actions.events import do_import_events
from pacta.core.actions.mappings import do_save_column_mapping
from pacta.core.actions.register import RegisterError
from pacta.core.agreement_files import import_agreements_file
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.imports import ImportErrors, parse_agreements, read_events
from pacta.core.tests.watch_world import world  # noqa: F401  (the fixture)

from .fuzz_inputs import (
    BILLION_LAUGHS,
    FUZZ,
    PARTY,
    SHOP_COLUMNS,
    agreement_yaml,
    assert_issue_lines,
    assert_located,
    column_mapping,
    event_csv,
    event_xlsx,
    shop_csv,
    to_yaml_text,
    valid_agreements,
)

AS_OF = "2025-12-31T23:59:59+01:00"
VALID_EVENTS = (
    "id,kind,party,at,ref,product,quantity,unit_price,currency,due\n"
    f"E1,order,{PARTY},2025-03-01,10248,P0248,12,14.00,EUR,2025-03-10\n"
    f"E2,delivery,{PARTY},2025-03-07T10:15:00+01:00,10248,P0248,12,,,\n"
).encode()
VALID_AGREEMENTS = to_yaml_text(valid_agreements()).encode()

event_files = st.one_of(event_csv().map(lambda data: ("events.csv", data)),
                        event_xlsx().map(lambda data: ("events.xlsx", data)))


@contextmanager
def rolled_back():
    """Whatever the block stores is gone afterwards: each example starts from the same register."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------------------
# the readers (no database)


@FUZZ
@given(event_files)
@example(("events.csv", b"id,kind,party,at\nE1,order,ALFKI,2025-03-01\n"))
def test_an_event_file_is_read_or_refused_with_every_problem_located(named):
    filename, data = named
    try:
        frame = read_events(data, filename=filename, known_parties={PARTY})
    except ImportErrors as exc:
        assert_located(exc, filename)
        event(f"refused: {exc.issues[0].field or exc.issues[0].message[:30]}")
    else:
        assert frame.schema == EVENT_SCHEMA
        event("accepted")


@FUZZ
@given(agreement_yaml())
@example(VALID_AGREEMENTS)
def test_an_agreement_file_is_parsed_or_refused_with_every_problem_located(data):
    text = decoded(data)
    if text is None:
        return  # not text: the entry points that take bytes say so (below)
    try:
        docs = parse_agreements(text, "agreements.yaml")
    except ImportErrors as exc:
        assert_located(exc, "agreements.yaml")
        event(f"refused: {exc.issues[0].field or exc.issues[0].message[:30]}")
    else:
        event("accepted")
        assert all(doc.id and doc.party for doc in docs)


def test_the_strategies_start_from_valid_files():
    """Unbroken, the documents the fuzzing starts from are accepted everywhere (else every example
    would stop at the first problem and test nothing deeper)."""
    assert len(parse_agreements(VALID_AGREEMENTS.decode(), "agreements.yaml")) == 2
    assert len(read_events(VALID_EVENTS, filename="events.csv", known_parties={PARTY})) == 2


SHOP = f"Beleg;Art;Kunde;Datum\nS1;order;{PARTY};01.03.2025\n".encode()
mapped_files = st.one_of(event_files, shop_csv().map(lambda data: ("shop.csv", data)))


@FUZZ
@given(named=mapped_files, mapping=column_mapping())
@example(named=("shop.csv", SHOP), mapping={"mapping": SHOP_COLUMNS, "options": {"date_format": "%H"}})  # ComputeError
@example(named=("shop.csv", SHOP), mapping={"mapping": SHOP_COLUMNS, "options": {"delimiter": ";;"}})  # ValueError
@example(named=("shop.csv", b"abc-99999999"), mapping={"mapping": {}, "options": {"encoding": "punycode"}})  # UnicodeError
@example(named=("shop.csv", SHOP.replace(b"2025\n", b"2025 09:30+01:00\n")),  # a SchemaError: %:z is an offset too
         mapping={"mapping": SHOP_COLUMNS, "options": {"datetime_format": "%d.%m.%Y %H:%M%:z"}})
@example(named=("shop.csv", SHOP.replace(b"01.03.2025", b'"x"')),  # UnicodeError: idna has no errors="replace"
         mapping={"mapping": SHOP_COLUMNS, "options": {"encoding": "idna"}})
def test_an_event_file_read_through_any_mapping_is_read_or_refused_with_every_problem_located(named, mapping):
    filename, data = named
    try:
        frame = read_events(data, filename=filename, mapping=mapping, known_parties={PARTY})
    except ImportErrors as exc:
        assert_located(exc, filename)
    else:
        assert frame.schema == EVENT_SCHEMA


# ---------------------------------------------------------------------------
# pacta check in file mode: the files from disk, evaluated when they are accepted


def check(tmp_path: Path, agreements: bytes, events: tuple[str, bytes]) -> None:
    """`pacta check --agreements … --events … --format json`: exit 0 or 1 with results, or 2 with
    every problem on stderr as FILE:LINE: field: what is wrong."""
    agreements_path, events_path = tmp_path / "agreements.yaml", tmp_path / events[0]
    agreements_path.write_bytes(agreements)
    events_path.write_bytes(events[1])
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("evaluate", agreements=str(agreements_path), events=[str(events_path)], as_of=AS_OF,
                     format="json", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code == 2:
        assert out.getvalue() == ""
        lines = err.getvalue().splitlines()
        assert lines
        for line in lines:
            assert_issue_lines([line], str(events_path if line.startswith(f"{events_path}:") else agreements_path))
    else:
        assert code in (0, 1), code
        assert out.getvalue().startswith('{"as_of": ')


@FUZZ
@given(event_files)
def test_pacta_check_reads_fuzzed_event_files(tmp_path, named):
    check(tmp_path, VALID_AGREEMENTS, named)


@FUZZ
@given(agreement_yaml())
def test_pacta_check_reads_fuzzed_agreement_files(tmp_path, data):
    check(tmp_path, data, ("events.csv", VALID_EVENTS))


# ---------------------------------------------------------------------------
# imports into the register


@FUZZ
@given(named=event_files)
def test_an_event_file_is_imported_or_refused_with_every_problem_located(world, named):  # noqa: F811
    filename, data = named
    with rolled_back():
        try:
            frame = read_events(data, filename=filename, known_parties={PARTY}, with_lines=True)
            batch = do_import_events(frame, source="import", filename=filename, acting_user=world.olav)
        except ImportErrors as exc:
            assert_located(exc, filename)
        else:
            assert batch.rows == len(frame)


@FUZZ
@given(data=agreement_yaml())
def test_an_agreement_file_is_imported_or_refused_with_every_problem_located(world, data):  # noqa: F811
    with rolled_back():
        try:
            summary = import_agreements_file(ContentFile(data, name="agreements.yaml"), acting_user=world.mona)
        except ImportErrors as exc:
            assert_located(exc, "agreements.yaml")
        else:
            assert summary.created or summary.updated or summary.unchanged or not parse_agreements(
                decoded(data), "agreements.yaml")


def cli_import(what: str, path: Path) -> None:
    """`pacta import agreements|events FILE`: done, or exit 2 with every problem as FILE:LINE: … on
    stderr, then that nothing was imported."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", what, str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        assert exc.code == 2, exc.code
        *problems, last = err.getvalue().splitlines()
        assert last == "Nothing was imported."
        assert_issue_lines(problems, str(path))
    else:
        assert out.getvalue().strip()


@FUZZ
@given(named=event_files, agreements=agreement_yaml())
@example(named=("events.csv", VALID_EVENTS), agreements="agreements:\n  - id: \xe9\n".encode("latin-1"))  # crashed
def test_pacta_import_takes_fuzzed_files_or_lists_their_problems(world, tmp_path, named, agreements):  # noqa: F811
    with rolled_back():
        (tmp_path / "agreements.yaml").write_bytes(agreements)
        cli_import("agreements", tmp_path / "agreements.yaml")
        (tmp_path / named[0]).write_bytes(named[1])
        cli_import("events", tmp_path / named[0])


# ---------------------------------------------------------------------------
# the web's upload pages


ISSUE = re.compile(r"<li><code>(.*?)</code></li>", re.S)
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def page_answer(response, filename: str) -> str | None:
    """The page shows the problems, each located, or a preview to confirm (its token), or the
    form's own refusal of the upload; never a server error or a traceback."""
    assert response.status_code in (200, 400), response.status_code
    text = response.content.decode()
    assert "Traceback" not in text and "Internal Server Error" not in text
    issues = [html.unescape(i) for i in ISSUE.findall(text)]
    if issues:
        assert_issue_lines(issues, filename)
        return None
    token = TOKEN.search(text)
    assert token or 'class="errorlist' in text, text
    return token[1] if token else None


@pytest.fixture
def web(world, settings, tmp_path):  # noqa: F811
    settings.PACTA_UPLOAD_DIR = str(tmp_path / "uploads")

    def signed_in(user) -> Client:
        client = Client()  # raise_request_exception: a crash fails the test with its traceback
        client.force_login(user)
        return client

    return signed_in


@FUZZ
@given(named=event_files)
def test_the_event_upload_page_shows_located_problems_or_a_preview(world, web, named):  # noqa: F811
    filename, data = named
    client = web(world.olav)
    with rolled_back():
        response = client.post(reverse("imports:events"), {"file": SimpleUploadedFile(filename, data),
                                                           "source": "import"})
        token = page_answer(response, filename)
        if token:
            done = client.post(reverse("imports:events_confirm"), {"token": token})
            assert done.status_code == 200 and "Traceback" not in done.content.decode()


@FUZZ
@given(named=mapped_files, mapping=column_mapping())
def test_a_mapping_is_saved_or_refused_and_reads_uploads_or_says_why(world, web, named, mapping):  # noqa: F811
    """The mapping page saves what `do_save_column_mapping` accepts; a saved mapping then reads
    uploads (a preview) or lists their problems, never a server error."""
    filename, data = named
    client = web(world.olav)
    with rolled_back():
        try:
            saved = do_save_column_mapping(acting_user=world.olav, name="fuzz", mapping=mapping["mapping"],
                                           options=mapping["options"])
        except RegisterError as exc:
            assert exc.errors and all(isinstance(k, str) and all(str(m).strip() for m in v)
                                      for k, v in exc.errors.items())
            return
        response = client.post(reverse("imports:events"), {"file": SimpleUploadedFile(filename, data),
                                                           "mapping": saved.pk, "source": "import"})
        page_answer(response, filename)


@FUZZ
@given(data=agreement_yaml())
def test_the_agreement_upload_page_shows_located_problems_or_a_preview(world, web, data):  # noqa: F811
    client = web(world.mona)
    with rolled_back():
        response = client.post(reverse("imports:agreements"),
                               {"file": SimpleUploadedFile("agreements.yaml", data)})
        token = page_answer(response, "agreements.yaml")
        if token:
            done = client.post(reverse("imports:agreements_confirm"), {"token": token})
            assert done.status_code == 200 and "Traceback" not in done.content.decode()


# ---------------------------------------------------------------------------
# what the fuzzing found, kept as plain examples


def problems(text: str) -> list[str]:
    with pytest.raises(ImportErrors) as exc:
        parse_agreements(text, "agreements.yaml")
    assert_located(exc.value, "agreements.yaml")
    return [str(issue) for issue in exc.value.issues]


def test_aliases_that_would_expand_to_a_billion_values_are_refused():
    # Walking every expanded value took hours.
    assert problems(BILLION_LAUGHS.decode()) == [
        "agreements.yaml:1: Aliases repeat more than 100,000 values; write the values out instead."]


def test_an_alias_inside_the_value_it_names_is_refused():
    # Was a RecursionError.
    assert problems("agreements:\n  - &a\n    id: A\n    commitments: [*a]\n") == [
        "agreements.yaml:2: An alias refers to the value that contains it; such a value never ends."]


def test_aliases_that_repeat_a_little_are_fine():
    text = VALID_AGREEMENTS.decode().replace("  glossary:\n", "  glossary: &g\n", 1) + "x: *g\n"
    assert "x: Unknown field" in problems(text)[0]


@pytest.mark.parametrize("text, line", [
    ("agreements: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),  # crashed the process: libyaml composes recursively
    ("agreements: " + "{a: " * 30_000 + "1" + "}" * 30_000 + "\n", 1),
    ("- " * 50_000 + "x\n", 1),
    ("agreements:\n" + "".join(" " * i + "- \n" for i in range(1, 1100)), 65),  # was a RecursionError
])
def test_yaml_nested_deeper_than_any_agreement_file_is_refused(text, line):
    assert problems(text) == [f"agreements.yaml:{line}: Nested deeper than 64 levels; an agreement file needs far fewer."]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['echo hi']", "!!python/name:os.system",
                                 "!!python/object:builtins.dict {}", "!<tag:yaml.org,2002:python/tuple> [1]"])
def test_python_tags_are_refused_not_run(tag):
    [problem] = problems(f"agreements:\n  - id: {tag}\n")
    assert problem.startswith("agreements.yaml:2: Not valid YAML: could not determine a constructor for the tag")


@pytest.mark.parametrize("value, problem", [
    ("!!int x", "the value x cannot be read as int"),  # was a ValueError
    ("1" * 5000, f"the value {'1' * 39}… cannot be read as int"),  # was a ValueError
    ("!!float x", "the value x cannot be read as float"),  # was an InvalidOperation
    ("!!bool maybe", "the value maybe cannot be read as bool"),  # was a KeyError
])
def test_a_value_that_cannot_be_read_as_its_tag_is_a_located_problem(value, problem):
    assert problems(f"agreements:\n  - id: A\n    party: {value}\n") == [
        f"agreements.yaml:3: Not valid YAML: {problem}."]


def test_text_tagged_as_a_timestamp_is_reported_as_no_date():
    # Was an AttributeError.
    assert "agreements.yaml:6: valid_from: Enter a date such as 2025-03-01: nope." in problems(
        "agreements:\n  - id: A\n    party: A\n    role: customer\n    currency: EUR\n    valid_from: !!timestamp nope\n"
        "    timezone: UTC\n    commitments: []\n")


def test_a_control_character_is_reported_at_its_line():
    # Was reported at line 1, over two lines.
    assert problems("agreements:\n  - id: é\n    party: \x07\n") == [
        "agreements.yaml:3: Not valid YAML: unacceptable character #x0007: control characters are not allowed."]


def test_a_required_value_of_spaces_is_missing():
    # An agreement with the id ' ' was accepted, with an empty id.
    text = VALID_AGREEMENTS.decode().replace("- id: ALFKI-FUZZ", "- id: ' '", 1)
    assert problems(text) == ["agreements.yaml:2: id: Required."]


@pytest.mark.parametrize("params, field", [
    ("      from: 0\n      to: '16:00'\n", "from"),  # pydantic reads 0 as 00:00 UTC: was a TypeError
    ("      from: '07:00'\n      to: 16:00Z\n", "to"),
])
def test_a_time_of_day_with_an_offset_is_refused_not_compared(params, field):
    text = ("agreements:\n  - id: A\n    party: A\n    role: customer\n    currency: EUR\n    timezone: UTC\n"
            "    valid_from: 2025-01-01\n    commitments:\n    - id: w\n      type: delivery_window\n      title: W\n"
            + params)
    [problem] = problems(text)
    assert problem.startswith(f"agreements.yaml:{12 if field == 'from' else 13}: {field}: Enter a local time of day")


def test_a_value_with_a_line_break_is_quoted_on_one_line():
    with pytest.raises(ImportErrors) as exc:
        read_events(b'id,kind,party,at\nE1,"or\nder",ALFKI,2025-03-01\n', filename="events.csv")
    assert str(exc.value) == ("events.csv:2: kind: Unknown kind or\\nder; expected one of order, delivery, invoice, "
                              "payment, credit_note, notice, update, ticket_opened, ticket_answered, ticket_resolved, "
                              "purchase_order, receipt, meeting, attestation.")


def _workbook(edit) -> bytes:
    """A valid event workbook whose zip archive `edit(name, body)` changes part by part."""
    book = openpyxl.Workbook()
    book.active.append(["id", "kind", "party", "at"])
    for i in range(200):
        book.active.append([f"E{i}", "order", PARTY, "2025-03-01"])
    saved, out = io.BytesIO(), io.BytesIO()
    book.save(saved)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, edit(name, source.read(name)))
    return out.getvalue()


def test_a_workbook_damaged_inside_is_a_problem_of_the_file():
    # Read-only mode streams a sheet from the zip as its rows are read: the damage showed then, uncaught.
    data = bytearray(_workbook(lambda name, body: body))
    sheet = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    data[sheet + 40:sheet + 60] = b"\xff" * 20
    with pytest.raises(ImportErrors) as exc:
        read_events(bytes(data), filename="events.xlsx")
    assert str(exc.value).startswith("events.xlsx:1: The file is not a readable XLSX workbook: ")


def test_a_workbook_without_sheets_is_empty():
    # Was an IndexError.
    data = _workbook(lambda name, body: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", body)
                     if name == "xl/workbook.xml" else body)
    with pytest.raises(ImportErrors) as exc:
        read_events(data, filename="events.xlsx")
    assert str(exc.value) == "events.xlsx:1: The file is empty."


def test_a_mapping_with_a_nul_character_is_refused(world):  # noqa: F811
    # PostgreSQL refused to store it (a DataError) after the checks had passed.
    with pytest.raises(RegisterError) as exc:
        do_save_column_mapping(acting_user=world.olav, name="shop", mapping={"id": "Beleg"},
                               options={"defaults": {"currency": "EUR\x00"}})
    assert exc.value.errors == {"defaults": ["Text cannot contain the NUL character (\\u0000)."]}
