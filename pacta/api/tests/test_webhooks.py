"""Webhooks: deviations and action changes posted to a real HTTP receiver on localhost, signed with
HMAC-SHA256, retried with backoff while the receiver fails, every attempt in the delivery log."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from pacta.core.actions.api import do_create_webhook, do_update_webhook
from pacta.core.actions.watch import do_open_action, do_resolve_action, do_update_action
from pacta.core.models import Deviation, WebhookDelivery
from pacta.core.tests.watch_world import at
from pacta.core.watch import run_pass
from pacta.core.webhooks import deliver_due_webhooks, queue_webhooks

NOW = at("2025-02-10T12:00:00+01:00")


class Receiver:
    """An HTTP server in a thread that records every POST and answers with `status`."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pacta"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def deviation(world, key="10643", new_status="broken"):
    return Deviation.objects.create(commitment=world.call_ahead, instance_key=key, old_status="open",
                                    new_status=new_status, reason=f"{key} was not announced", at=NOW)


@time_machine.travel(NOW, tick=False)
def test_a_deviation_is_posted_signed_with_the_secret(world, receiver):
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url, secret="s3cret",
                                on_actions=False)
    recorded = deviation(world)
    report = deliver_due_webhooks(NOW)
    assert (report.queued, report.delivered) == (1, 1)
    [request] = receiver.received
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Pacta-Signature"] == expected
    assert request["headers"]["X-Pacta-Topic"] == "deviation.recorded"
    body = json.loads(request["body"])
    assert body["deviation"]["id"] == recorded.pk
    assert (body["deviation"]["instance"], body["deviation"]["new_status"]) == ("10643", "broken")
    delivery = WebhookDelivery.objects.get(subscription=webhook)
    assert (delivery.status, delivery.attempts, delivery.log[0]["status"]) == ("delivered", 1, 200)


@time_machine.travel(NOW, tick=False)
def test_a_webhook_hears_only_of_what_happens_after_it_was_made(world, receiver):
    deviation(world, "old")
    do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url)
    deviation(world, "new")
    deliver_due_webhooks(NOW)
    deliver_due_webhooks(NOW)  # nothing is posted twice
    assert [b["deviation"]["instance"] for b in receiver.bodies()] == ["new"]


@time_machine.travel(NOW, tick=False)
def test_action_changes_are_posted_with_who_and_what(world, receiver):
    do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url, on_deviations=False)
    action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    action = do_update_action(action, acting_user=world.olav, expected_revision=None, status="in_progress")
    do_resolve_action(action, acting_user=world.olav, expected_revision=None, resolution="Called them")
    deliver_due_webhooks(NOW)
    bodies = receiver.bodies()
    assert [(b["topic"], b["by"]) for b in bodies] == [
        ("action.opened", "mona"), ("action.changed", "olav"), ("action.resolved", "olav")]
    assert bodies[1]["changes"]["status"] == ["open", "in_progress"]
    assert bodies[0]["action"]["instance"] == "10643"


def test_a_failing_receiver_gets_retries_with_backoff_until_it_answers(world, receiver, settings):
    settings.PACTA_WEBHOOK_RETRY_FIRST_SECONDS = 60
    with time_machine.travel(NOW, tick=False) as traveller:
        webhook = do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url)
        deviation(world, "a")
        deviation(world, "b")
        receiver.status = 500
        first = deliver_due_webhooks(NOW)
        # After the first failure the receiver gets no more tries in this pass.
        assert (first.queued, first.retried, len(receiver.received)) == (2, 1, 1)
        failed = WebhookDelivery.objects.filter(attempts=1).get()
        assert failed.next_attempt_at == NOW + dt.timedelta(minutes=1)
        assert failed.log == [{"at": NOW.astimezone(dt.timezone.utc).isoformat(), "status": 500, "error": "HTTP 500 Internal Server Error",
                               "ms": failed.log[0]["ms"]}]
        traveller.shift(dt.timedelta(seconds=30))
        # The one not tried yet gets its first try; the failed one waits for its minute.
        assert (deliver_due_webhooks().retried, len(receiver.received)) == (1, 2)
        assert WebhookDelivery.objects.get(pk=failed.pk).attempts == 1
        traveller.shift(dt.timedelta(seconds=31))
        receiver.status = 204
        assert deliver_due_webhooks().delivered == 1  # the first one, 61 s after its failure
        traveller.shift(dt.timedelta(seconds=30))
        assert deliver_due_webhooks().delivered == 1  # the second one, a minute after its failure
    statuses = sorted(WebhookDelivery.objects.filter(subscription=webhook).values_list("status", "attempts"))
    assert statuses == [("delivered", 2), ("delivered", 2)]


def test_after_the_last_attempt_a_delivery_has_failed(world, settings):
    settings.PACTA_WEBHOOK_MAX_ATTEMPTS = 2
    settings.PACTA_WEBHOOK_TIMEOUT = 1
    with time_machine.travel(NOW, tick=False) as traveller:
        do_create_webhook(acting_user=world.mona, name="down", url="http://127.0.0.1:9/nobody-listens")
        deviation(world)
        assert deliver_due_webhooks().retried == 1
        traveller.shift(dt.timedelta(minutes=2))
        assert deliver_due_webhooks().failed == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, len(delivery.log), delivery.next_attempt_at) == ("failed", 2, None)
    assert delivery.log[0]["status"] is None and delivery.log[0]["error"]


@time_machine.travel(NOW, tick=False)
def test_a_paused_webhook_hears_what_happened_meanwhile_once_active_again(world, receiver):
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url)
    do_update_webhook(webhook, acting_user=world.mona, is_active=False)
    deviation(world, "while paused")
    assert queue_webhooks(NOW) == 0
    do_update_webhook(webhook, acting_user=world.mona, is_active=True)
    deliver_due_webhooks(NOW)
    assert [b["deviation"]["instance"] for b in receiver.bodies()] == ["while paused"]


@time_machine.travel(NOW, tick=False)
def test_a_topic_turned_off_is_skipped_not_kept_for_later(world, receiver):
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url, on_deviations=False)
    deviation(world, "unwanted")
    queue_webhooks(NOW)
    do_update_webhook(webhook, acting_user=world.mona, on_deviations=True)
    deviation(world, "wanted")
    deliver_due_webhooks(NOW)
    assert [b["deviation"]["instance"] for b in receiver.bodies()] == ["wanted"]


@time_machine.travel(NOW, tick=False)
def test_the_watcher_s_pass_delivers_the_webhooks(world, receiver):
    do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url, on_actions=False)
    recorded = deviation(world)
    run_pass(now=NOW)
    # The pass's own first evaluation records deviations too; each is posted.
    bodies = receiver.bodies()
    assert recorded.pk in [b["deviation"]["id"] for b in bodies]
    assert len(bodies) == Deviation.objects.count()


@time_machine.travel(NOW, tick=False)
def test_a_pass_posts_a_bounded_number_and_the_next_pass_goes_on(world, receiver, settings):
    settings.PACTA_WEBHOOK_PER_PASS = 2
    do_create_webhook(acting_user=world.mona, name="ERP", url=receiver.url)
    for key in ("a", "b", "c"):
        deviation(world, key)
    assert deliver_due_webhooks(NOW).delivered == 2
    assert deliver_due_webhooks(NOW).delivered == 1
    assert [b["deviation"]["instance"] for b in receiver.bodies()] == ["a", "b", "c"]
