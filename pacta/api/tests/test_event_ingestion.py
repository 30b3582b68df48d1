"""POST /api/v1/events: batches stored all or nothing, idempotent by (source, id), every bad row listed,
the touched commitments re-evaluated at once."""

import time_machine

from pacta.core.models import Commitment, Event, ImportBatch
from pacta.core.tests.watch_world import at

NOW = at("2025-02-10T12:00:00+01:00")


def invoice(ident, quantity="4000", **more):
    return {"id": ident, "kind": "invoice", "party": "ALFKI", "at": "2025-01-15", "quantity": quantity,
            "amount": "100", "currency": "EUR", **more}


def post(client, events, **kw):
    return client.post("/events", {"source": "erp", "events": events}, **kw)


@time_machine.travel(NOW, tick=False)
def test_a_batch_is_stored_and_its_commitments_evaluated(api_client, tokens, world):
    response = post(api_client(tokens["events"]), [invoice("INV-1"), invoice("INV-2")])
    assert response.status_code == 200
    body = response.json()
    assert (body["rows"], body["created"], body["unchanged"]) == (2, 2, 0)
    assert Event.objects.filter(source="erp").count() == 2
    # Invoices touch the volume commitment only (call-ahead reads deliveries and notices).
    assert body["evaluation"]["evaluated"] == 1
    volume = Commitment.objects.get(pk=world.volume.pk)
    assert volume.evaluated_at is not None
    assert ImportBatch.objects.get(pk=body["batch"]).user == world.olav


@time_machine.travel(NOW, tick=False)
def test_the_same_batch_twice_changes_nothing(api_client, tokens, world):
    client = api_client(tokens["events"])
    post(client, [invoice("INV-1"), invoice("INV-2")])
    again = post(client, [invoice("INV-1"), invoice("INV-2")]).json()
    assert (again["created"], again["unchanged"], again["evaluation"]) == (0, 2, None)
    assert Event.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_an_id_sent_again_with_other_content_is_refused(api_client, tokens, world):
    client = api_client(tokens["events"])
    post(client, [invoice("INV-1")])
    response = post(client, [invoice("INV-9"), invoice("INV-1", quantity="5")])
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "id")]
    assert not Event.objects.filter(external_id="INV-9").exists()


def test_one_bad_row_stores_nothing_and_every_problem_is_listed(api_client, tokens, world):
    bad = [invoice("INV-1"), invoice("INV-2", kind="shipment"), invoice("INV-3", party="NOBODY", at="2025-13-01")]
    response = post(api_client(tokens["events"]), bad)
    assert response.status_code == 422
    found = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert found == {(1, "kind"), (2, "party"), (2, "at")}
    assert "Nothing was stored" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_ids_are_unique_per_source(api_client, tokens, world):
    client = api_client(tokens["events"])
    post(client, [invoice("1")])
    client.post("/events", {"source": "webshop", "events": [invoice("1", quantity="7")]})
    assert sorted(Event.objects.values_list("source", "quantity")) == [("erp", 4000), ("webshop", 7)]


def test_more_than_ten_thousand_events_are_refused(api_client, tokens, world):
    response = post(api_client(tokens["events"]), [invoice(str(i)) for i in range(10_001)])
    assert response.status_code == 413
    assert "10,000" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_a_batch_must_have_events_and_nothing_else(api_client, tokens, world):
    client = api_client(tokens["events"])
    assert client.post("/events", {"source": "erp", "events": []}).status_code == 422
    assert client.post("/events", [invoice("1")]).status_code == 422
    unknown = client.post("/events", {"events": [invoice("1")], "sorce": "erp"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "sorce"


@time_machine.travel(NOW, tick=False)
def test_evaluate_later_marks_the_touched_commitments_due_for_the_watcher(api_client, tokens, world):
    response = post(api_client(tokens["events"]), [invoice("INV-1")], query={"evaluate": "later"})
    assert response.json()["evaluation"] is None
    volume = Commitment.objects.get(pk=world.volume.pk)
    assert (volume.evaluated_at, volume.next_check_at) == (None, NOW)
    assert Commitment.objects.get(pk=world.call_ahead.pk).next_check_at is None
