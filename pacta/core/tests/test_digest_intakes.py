"""The weekly digest lists the owner's requests that have waited for a decision for more than a week."""

import datetime as dt

import time_machine

from pacta.core.actions.engagement import do_create_intake, do_submit_intake
from pacta.core.outbox import digest_context
from pacta.lib import emails

SUBMITTED = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def submitted_intake(users, title, when):
    with time_machine.travel(when, tick=False):
        intake = do_create_intake(acting_user=users["olav"], title=title, prospect_name="Nordlys AS",
                                  problem="Late deliveries", desired_situation="Mornings only", goal="Fewer calls")
        return do_submit_intake(intake, acting_user=users["olav"], expected_revision=intake.revision)


def test_an_intake_waiting_eight_days_is_in_its_owners_digest(users):
    submitted_intake(users, "Morning deliveries", SUBMITTED)
    submitted_intake(users, "Fresh request", SUBMITTED + dt.timedelta(days=6))
    now = SUBMITTED + dt.timedelta(days=8)
    ctx = digest_context(users["olav"], now)
    # Only the first has waited more than a week (8 days); the second 2 days.
    assert [(i["title"], i["party"], i["days"]) for i in ctx["waiting_intakes"]] == [
        ("Morning deliveries", "Nordlys AS", 8)]
    rendered = emails.digest({**ctx, "recipient": users["olav"]}, language="en")
    assert "Morning deliveries" in rendered.text and "waiting 8 days" in rendered.text
    assert "Morning deliveries" in rendered.html


def test_someone_elses_intake_is_not_in_the_digest(users):
    submitted_intake(users, "Morning deliveries", SUBMITTED)
    ctx = digest_context(users["nina"], SUBMITTED + dt.timedelta(days=8))
    assert ctx["waiting_intakes"] == []
