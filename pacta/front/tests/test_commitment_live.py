"""The commitment page judges its commitment live: as of the domain clock or
`?as_of=`, in the reader's language, with a chart; drafts show the stored verdict.

The world adds to ALFKI an agreement in force with a quarterly minimum of 100
units, and one invoice of 60 units on 10 January 2025.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from pacta.core.actions.register import CommitmentData, do_create_agreement
from pacta.core.models import Event
from pacta.front import verdict as verdict_module
from pacta.front.verdict import INSTANCE_CAP, instance_table

REF = "ALFKI-VOL"
STORED = "A sentence the watcher stored in English, weeks ago."
APRIL = "2025-04-05 12:00 +02:00"  # Q1 has ended at 60 units; Q2 has begun


@pytest.fixture
def volume(world):
    agreement = do_create_agreement(
        acting_user=world.users["mona"], party=world.party, reference=REF, valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", status="in_force",
        commitments=[CommitmentData(key="minimum", type="volume_commitment", title="At least 100 units a quarter",
                                    params={"period": "quarter", "minimum": "100"})],
    )
    Event.objects.create(source="erp", external_id="inv-1", kind="invoice", party=world.party, ref="2025-001",
                         at=dt.datetime(2025, 1, 10, tzinfo=dt.UTC), date_only=True, quantity=60, amount=600,
                         currency="EUR")
    commitment = agreement.commitments.get()
    # A stale verdict in the cache: the page must not show it.
    commitment.status, commitment.explanation = "kept", STORED
    commitment.evaluated_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    commitment.save()
    return SimpleNamespace(agreement=agreement, commitment=commitment, url=commitment.get_absolute_url())


@time_machine.travel(APRIL, tick=False)
def test_the_verdict_is_evaluated_live_in_the_readers_language(volume, as_user, users):
    users["vera"].language = "nl"
    users["vera"].save()
    text = as_user("vera").get(volume.url).text
    # 2025-Q1 ended at 60 units, 40 short of 100; the sentence in Dutch, not the stored English one.
    assert "2025-Q1 eindigde op 60 eenheden, 40 eenheden onder het minimum van 100 eenheden." in text
    assert STORED not in text
    assert "ended at" not in text
    assert '<span class="status status-broken">niet nagekomen</span>' in text


@time_machine.travel(APRIL, tick=False)
def test_as_of_shows_the_verdict_at_the_end_of_that_day(volume, as_user):
    client = as_user("vera")
    now = client.get(volume.url)
    assert now.context["verdict"].status == "broken"  # Q1 ended below its minimum
    january = client.get(volume.url, {"as_of": "2025-01-31"})
    # At the end of 31 January, 31 of Q1's 90 days are gone: 60 x 90 / 31 = 174 units by 31 March, enough.
    result = january.context["verdict"].result
    assert (result.status, [i.key for i in result.instances]) == ("open", ["2025-Q1"])
    assert "at this pace you reach 174 units by March 31, 2025" in january.text
    assert january.context["verdict"].as_of == dt.datetime(2025, 1, 31, 22, 59, 59, 999999, tzinfo=dt.UTC)


@time_machine.travel(APRIL, tick=False)
def test_a_day_that_is_not_a_date_is_refused_next_to_the_field(volume, as_user):
    response = as_user("vera").get(volume.url, {"as_of": "31/01/2025"})
    assert response.context["verdict"].status == "broken"  # as of now
    assert 'id="as-of-error">Enter a date such as 2025-03-01.' in response.text


def test_a_draft_shows_the_stored_verdict_with_a_note(world, as_user):
    commitment = world.commitment
    commitment.status, commitment.explanation = "broken", STORED
    commitment.evaluated_at = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
    commitment.save()
    text = as_user("vera").get(commitment.get_absolute_url()).text
    assert "This agreement is a draft: drafts are not evaluated." in text
    assert STORED in text


@time_machine.travel(APRIL, tick=False)
def test_a_failed_evaluation_falls_back_to_the_stored_verdict(volume, as_user, monkeypatch):
    def fail(*args):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(verdict_module, "evaluate", fail)
    text = as_user("vera").get(volume.url).text
    assert "The live evaluation failed. Shown is the last stored verdict." in text
    assert STORED in text


@time_machine.travel(APRIL, tick=False)
def test_the_chart_shows_the_latest_period_and_offers_the_others(volume, as_user):
    response = as_user("vera").get(volume.url)
    text = response.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in text
    assert "<title id=\"chart-title\">Volume in 2025-Q2</title>" in text
    assert [p["key"] for p in response.context["chart_periods"]] == ["2025-Q1", "2025-Q2"]
    assert '?period=2025-Q1#chart' in text


@time_machine.travel(APRIL, tick=False)
def test_an_earlier_period_is_charted_with_its_own_running_total(volume, as_user):
    chart = as_user("vera").get(volume.url, {"period": "2025-Q1"}).context["chart"]
    assert chart.caption == "Volume in 2025-Q1"
    assert chart.rows == [["Jan. 10, 2025", "60 units"]]  # replayed as of the end of 31 March


@time_machine.travel(APRIL, tick=False)
def test_the_waive_link_keys_on_the_live_instance(volume, as_user):
    text = as_user("olav").get(volume.url).text
    assert reverse("front:instance_waive", args=[REF, "minimum", "2025-Q1"]) in text


def rows(statuses: list[str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(key=str(n), status=s, health="") for n, s in enumerate(statuses)]


def test_a_short_instance_table_is_shown_whole_in_order():
    instances = rows(["kept"] * 10 + ["broken"])
    assert instance_table(instances).rows == instances


def test_a_long_instance_table_shows_what_needs_a_look_first_then_the_latest():
    instances = rows(["broken"] + ["kept"] * 100 + ["overdue"])
    table = instance_table(instances)
    # 2 that need a look, then the latest 48 of the 100 kept ones (keys 53 to 100).
    assert table.capped and table.total == 102
    assert [r.key for r in table.rows] == ["0", "101"] + [str(n) for n in range(53, 101)]
    assert len(table.rows) == INSTANCE_CAP


def test_show_all_pages_through_every_instance():
    instances = rows(["kept"] * 450)
    second = instance_table(instances, show_all=True, page="2")
    assert [second.rows[0].key, second.rows[-1].key] == ["200", "399"]
    assert second.page.paginator.num_pages == 3


@time_machine.travel(APRIL, tick=False)
def test_a_payment_term_charts_what_is_unpaid_by_due_month(world, as_user):
    agreement = do_create_agreement(
        acting_user=world.users["mona"], party=world.party, reference="ALFKI-PAY", valid_from=dt.date(2025, 1, 1),
        currency="EUR", timezone="Europe/Berlin", status="in_force",
        commitments=[CommitmentData(key="pay", type="payment_term", title="Paid within 30 days",
                                    params={"days": 30})],
    )
    for ref, day, amount in (("F-1", dt.date(2025, 2, 1), 500), ("F-2", dt.date(2025, 3, 20), 250)):
        Event.objects.create(source="erp", external_id=ref, kind="invoice", party=world.party, ref=ref,
                             at=dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC), date_only=True, amount=amount,
                             currency="EUR")
    chart = as_user("vera").get(agreement.commitments.get().get_absolute_url()).context["chart"]
    # F-1 of 1 February was due on 3 March and is overdue on 5 April; F-2 of 20 March is due on 19 April.
    assert chart.rows == [["March 2025", "€500.00", "€0.00"], ["April 2025", "€0.00", "€250.00"]]
