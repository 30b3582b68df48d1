"""The scenario runner: every folder `scenarios/<type>/<name>/` holds an
`agreement.yaml`, an `events.csv` and the `expected.json` of `pacta check`
as of the moment it names. Each runs through the file-mode command and must
match exactly: the commitments, their statuses, counts and money (to the cent),
their instances' keys and statuses and every other instance field the
expected file gives. Explanations are compared only where expected.json
gives one.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
RESULT_KEYS = ("agreement", "party", "type", "status", "counts")
INSTANCE_KEYS = ("status", "due", "done", "days_late", "health", "money", "explanation")


def _money_key(item: dict) -> tuple:
    return tuple(sorted(item.items()))


def _same_money(expected: list[dict], actual: list[dict]) -> bool:
    """Equal as collections: the order of money items carries no meaning."""
    return sorted(map(_money_key, expected)) == sorted(map(_money_key, actual))


def compare(expected: dict, actual: dict) -> list[str]:
    """The differences between an expected and an actual `pacta check` document, one line each."""
    problems = []
    if expected["as_of"] != actual["as_of"]:
        problems.append(f"as_of: expected {expected['as_of']}, got {actual['as_of']}")
    want = {(r["agreement"], r["commitment"]): r for r in expected["results"]}
    got = {(r["agreement"], r["commitment"]): r for r in actual["results"]}
    for key in want.keys() - got.keys():
        problems.append(f"{'/'.join(key)}: missing from the results")
    for key in got.keys() - want.keys():
        problems.append(f"{'/'.join(key)}: not expected")
    for key in sorted(want.keys() & got.keys()):
        problems += [f"{'/'.join(key)}: {p}" for p in _compare_result(want[key], got[key])]
    return problems


def _compare_result(expected: dict, actual: dict) -> list[str]:
    problems = [f"{name}: expected {expected[name]!r}, got {actual[name]!r}"
                for name in RESULT_KEYS if expected[name] != actual[name]]
    if not _same_money(expected["money"], actual["money"]):
        problems.append(f"money: expected {expected['money']}, got {actual['money']}")
    if "explanation" in expected and expected["explanation"] != actual["explanation"]:
        problems.append(f"explanation: expected {expected['explanation']!r}, got {actual['explanation']!r}")
    want = {i["key"]: i for i in expected["instances"]}
    got = {i["key"]: i for i in actual["instances"]}
    if list(want) != list(got):
        problems.append(f"instances: expected {list(want)}, got {list(got)}")
    for key in want.keys() & got.keys():
        for name in INSTANCE_KEYS:
            if name not in want[key] and name != "status":
                continue
            same = (_same_money(want[key][name], got[key][name]) if name == "money"
                    else want[key][name] == got[key][name])
            if not same:
                problems.append(f"instance {key}: {name}: expected {want[key][name]!r}, got {got[key][name]!r}")
    return problems


def run_check(folder: Path, as_of: str) -> tuple[dict, int]:
    """`pacta check --format json` on a scenario folder: the document and the exit code."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("evaluate", agreements=str(folder / "agreement.yaml"), events=[str(folder / "events.csv")],
                     as_of=as_of, format="json", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    assert code in (0, 1), err.getvalue()
    return json.loads(out.getvalue()), code


def scenario_folders() -> list[Path]:
    return sorted(p.parent for p in SCENARIOS.glob("*/*/expected.json"))


@pytest.mark.parametrize("folder", scenario_folders(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scenario(folder):
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    actual, code = run_check(folder, expected["as_of"])
    assert compare(expected, actual) == []
    assert code == (1 if any(r["status"] == "broken" for r in expected["results"]) else 0)


def test_every_scenario_folder_is_complete():
    folders = [p for p in SCENARIOS.glob("*/*") if p.is_dir()]
    assert folders, "no scenarios found"
    for folder in folders:
        assert {"agreement.yaml", "events.csv", "expected.json"} <= {p.name for p in folder.iterdir()}, folder


# ---------------------------------------------------------------------------
# The runner's own checks


def document(**changes) -> dict:
    instance = {"key": "10643", "status": "broken", "due": "2025-03-04T09:00:00+00:00", "done": None,
                "days_late": 0, "health": None, "money": [], "explanation": "Not announced."}
    result = {"agreement": "ALFKI-2025", "party": "ALFKI", "commitment": "call-ahead",
              "type": "notice_before_delivery", "status": "broken",
              "counts": {"open": 0, "kept": 11, "kept_late": 0, "overdue": 0, "broken": 1, "waived": 0, "lapsed": 0},
              "money": [{"kind": "penalty", "amount": "52.50", "currency": "EUR", "payer": "us", "state": "due"},
                        {"kind": "fee", "amount": "10.00", "currency": "EUR", "payer": "us", "state": "due"}],
              "instances": [instance], "explanation": "11 of 12 deliveries were announced; 10643 was not."}
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = result
        for part in parents:
            target = target[part][0] if isinstance(target[part], list) else target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return {"as_of": "2025-12-31T23:59:59+00:00", "results": [result]}


def test_the_runner_accepts_an_identical_document():
    assert compare(document(), document()) == []


def test_the_runner_sees_a_different_status_and_counts():
    assert compare(document(), document(status="kept")) == [
        "ALFKI-2025/call-ahead: status: expected 'broken', got 'kept'"]
    counts = dict(document()["results"][0]["counts"], kept=12, broken=0)
    assert len(compare(document(), document(counts=counts))) == 1


def test_the_runner_compares_money_to_the_cent_in_any_order():
    money = document()["results"][0]["money"]
    assert compare(document(), document(money=list(reversed(money)))) == []
    off_by_a_cent = [dict(money[0], amount="52.51"), money[1]]
    assert len(compare(document(), document(money=off_by_a_cent))) == 1


def test_the_runner_compares_explanations_only_where_expected_gives_one():
    assert compare(document(explanation=None), document(explanation="Something else.")) == []
    assert compare(document(), document(explanation="Something else.")) == [
        "ALFKI-2025/call-ahead: explanation: expected '11 of 12 deliveries were announced; 10643 was not.', "
        "got 'Something else.'"]
    assert compare(document(instances__explanation=None), document(instances__explanation="Other.")) == []


def test_the_runner_compares_instance_keys_statuses_and_given_fields():
    assert compare(document(), document(instances__status="kept")) == [
        "ALFKI-2025/call-ahead: instance 10643: status: expected 'broken', got 'kept'"]
    assert compare(document(instances__due=None), document(instances__due="2026-01-01")) == []
    assert compare(document(), document(instances__days_late=3)) == [
        "ALFKI-2025/call-ahead: instance 10643: days_late: expected 0, got 3"]
    assert compare(document(), document(instances__key="10644")) == [
        "ALFKI-2025/call-ahead: instances: expected ['10643'], got ['10644']"]


def test_the_runner_sees_missing_and_unexpected_commitments():
    other = document(commitment="window")
    assert compare(document(), other) == ["ALFKI-2025/call-ahead: missing from the results",
                                          "ALFKI-2025/window: not expected"]
