"""The load run's own logic (bench/load.py), without servers: percentiles, the figures per
page kind, the plan of requests, the ingested events, the watcher's output and the docs writer."""

import json
import math

import pytest

from bench import generate, load
from bench.load import Sample


def test_percentiles_interpolate_between_the_closest_ranks():
    values = [float(v) for v in range(10, 0, -1)]  # 10 … 1, unsorted on purpose
    assert load.percentile(values, 0) == 1
    assert load.percentile(values, 50) == 5.5
    assert load.percentile(values, 95) == pytest.approx(9.55)
    assert load.percentile(values, 99) == pytest.approx(9.91)
    assert load.percentile(values, 100) == 10
    assert load.percentile([7.0], 95) == 7
    assert math.isnan(load.percentile([], 50))


def test_the_figures_count_requests_and_errors_per_page_kind_and_overall():
    samples = [
        Sample("party", "/parties/C00001/", 0.010, 200),
        Sample("dashboard", "/", 0.100, 200),
        Sample("dashboard", "/", 0.300, 500),  # an error answer
        Sample("dashboard", "/", 0.200, 302),  # a redirect (to the sign-in page) is an error too
        Sample("actions", "/actions/", 2.0, 0, "TimeoutError: timed out"),
    ]
    stats = {s.kind: s for s in load.summarise(samples)}
    assert [s.kind for s in load.summarise(samples)] == ["dashboard", "party", "actions", "all"]
    assert (stats["dashboard"].count, stats["dashboard"].errors) == (3, 2)
    assert stats["dashboard"].p50 == pytest.approx(200)
    assert stats["dashboard"].max == pytest.approx(300)
    assert (stats["party"].count, stats["party"].errors) == (1, 0)
    assert (stats["all"].count, stats["all"].errors) == (5, 3)
    assert stats["all"].max == pytest.approx(2000)
    assert load.error_examples(samples) == ["dashboard /: HTTP 500", "dashboard /: HTTP 302",
                                            "actions /actions/: TimeoutError: timed out"]


def test_the_plan_shares_a_fixed_number_of_requests_among_the_users():
    plans = load.plan(users=3, requests=100, customers=50, seed=1)
    assert [len(p) for p in plans] == [34, 33, 33]
    assert plans == load.plan(users=3, requests=100, customers=50, seed=1)
    assert plans != load.plan(users=3, requests=100, customers=50, seed=1, offset=1)
    pages = [page for p in plans for page in p]
    assert {kind for kind, _ in pages} == set(load.KINDS)
    for kind, path in pages:
        assert path.startswith("/") and path.endswith("/")
        if kind in ("agreement", "commitment", "party"):
            number = int(path.split("C", 1)[1][:5])
            assert 1 <= number <= 50


def test_page_paths_name_the_generated_agreements_and_commitments():
    class Pick:  # a generator that picks customer 10, then the last key offered
        def randint(self, a, b):
            return 10

        def choice(self, options):
            return options[-1]

    assert load.page_path("dashboard", Pick(), 50) == "/"
    assert load.page_path("agreement", Pick(), 50) == f"/agreements/C00010-{generate.YEAR}/"
    # every fifth customer has the price review (deadline) instead of the status update
    assert load.page_path("commitment", Pick(), 50) == f"/agreements/C00010-{generate.YEAR}/commitments/price-review/"
    assert load.page_path("party", Pick(), 50) == "/parties/C00010/"
    assert load.page_path("actions", Pick(), 50) == "/actions/"
    with pytest.raises(ValueError):
        load.page_path("search", Pick(), 50)


def test_the_ingested_events_are_new_december_events_of_one_customer_per_batch():
    batches = load.ingest_batches(customers=5, seed=7, batch=20, run="R1")
    first, second = next(batches), next(batches)
    for events in (first, second):
        assert len(events) == 20
        assert len({e["party"] for e in events}) == 1
        assert all(e["at"][:7] == f"{generate.YEAR}-12" for e in events)
        assert all(set(e) <= {"id", *generate.COLUMNS} and e["kind"] for e in events)
    ids = [e["id"] for e in first + second]
    assert len(set(ids)) == 40 and all(i.startswith("LR1-") for i in ids)
    refs = {e["ref"] for e in first + second if e.get("ref", "").startswith("SO")}
    assert refs and all("-LR1-" in r for r in refs)  # never an order number of the portfolio


def test_the_ingest_summary_counts_the_batches_answered_during_the_run(tmp_path):
    log = tmp_path / "ingest.jsonl"
    entries = [
        {"at": 90.0, "seconds": 5.0, "events": 20, "evaluate": "now", "status": 200},  # answered before the run
        {"at": 100.0, "seconds": 0.5, "events": 20, "evaluate": "now", "status": 200},
        {"at": 102.0, "seconds": 1.5, "events": 20, "evaluate": "later", "status": 200},
        {"at": 104.0, "seconds": 0.2, "events": 20, "evaluate": "now", "status": 422, "error": "bad row"},
        {"at": 109.9, "seconds": 0.5, "events": 20, "evaluate": "later", "status": 200},  # answered after
    ]
    log.write_text("\n".join(json.dumps(e) for e in entries) + "\nnot json\n")
    summary = load.ingest_summary(log, start=100.0, end=110.0)
    assert (summary["events"], summary["batches"], summary["errors"]) == (40, 3, 1)
    assert summary["rate"] == pytest.approx(4.0)
    assert summary["batch_max"] == pytest.approx(1500)
    assert summary["first_error"] == "bad row"
    assert "in turn" in summary["by_mode"]


def test_the_watchers_pass_lines_are_read_as_counts():
    assert load.parse_pass("evaluated 12, processed 3, sent 1") == {"evaluated": 12, "processed": 3, "sent": 1}
    assert load.PASS_LINE.match("pass: evaluated 2").group(1) == "evaluated 2"
    assert load.PASS_LINE.match("pacta watch is running.") is None


def _run(samples, **changes) -> load.Run:
    fields = dict(database="PostgreSQL", customers=1000, events=998441, users=20, think=1.0, warm_up=100, workers=5, dashboard_cache=15,
                  samples=samples, seconds=10.0, sign_ins=[0.5, 0.7],
                  ingest={"events": 100, "batches": 5, "errors": 0, "rate": 10.0, "by_mode": "evaluated in turn",
                          "batch_p50": 120.0, "batch_max": 300.0},
                  watcher={"passes": 3, "totals": {"evaluated": 30, "processed": 4}},
                  load={"before": 0.5, "mean": 1.5, "max": 2.0}, cpu={"machine": 15.0, "ours": {"web server": 9.0}},
                  date="2026-01-01 12:00 UTC", commit="abc1234", machine="a test machine")
    return load.Run(**{**fields, **changes})


def test_the_report_says_whether_the_target_is_met():
    fast = [Sample(kind, "/", 0.050, 200) for kind in load.KINDS for _ in range(10)]
    text = load.report(_run(fast))
    assert "| **all** | 50 | 0 | 50 ms | 50 ms | 50 ms | 50 ms |" in text
    assert "**met**" in text and "5 sync workers" in text and "evaluated 30, processed 4" in text
    slow = fast + [Sample("dashboard", "/", 0.900, 200) for _ in range(5)]
    assert "**missed**" in load.report(_run(slow))
    failed = fast + [Sample("party", "/parties/C00001/", 0.010, 500)]
    text = load.report(_run(failed))
    assert "**missed**" in text and "`party /parties/C00001/: HTTP 500`" in text


def test_the_docs_writer_replaces_its_own_section_and_keeps_the_rest(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nIntro.\n\n<!-- bench:begin -->\nengine figures\n<!-- bench:end -->\n\nMore.\n")
    load.write_docs("first figures", page)
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\nIntro.\n\n<!-- bench:begin -->\nengine figures\n<!-- bench:end -->\n\nMore.")
    assert f"## The pages under load\n\n{load.INTRO}\n\n{load.BEGIN}\nfirst figures\n{load.END}\n" in text
    load.write_docs("second figures", page)
    again = page.read_text()
    assert again == text.replace("first figures", "second figures")
    assert again.count(load.BEGIN) == 1


def test_the_docs_writer_starts_a_page_that_is_not_there(tmp_path):
    page = tmp_path / "benchmarks.md"
    load.write_docs("figures", page)
    assert page.read_text().startswith("# Benchmarks\n\n## The pages under load\n")


def test_usernames_are_numbered():
    assert load.usernames(3) == ["load01", "load02", "load03"]
