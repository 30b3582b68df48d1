"""The portfolio the pages of "watch and act" are tested on, as of Monday 10 March 2025, noon in Berlin.

On top of the web interface's world (ALFKI, olav its point of contact; the
agreement ALFKI-2025 in force with call-ahead):

- ALFKI-VOL (olav executes `volume`): at risk, 900 EUR shortfall projected (they pay).
- call-ahead: broken; instance 10643 broken (penalty 52.50 we owe, 10.00 of it paid),
  10650 open and due in 3 days, 10700 open and due in 10 days.
- BLAUS (nina its point of contact), BLAUS-2025: `cert` broken (fee 100 they owe),
  `review` kept; nina executes both.
- Actions: olav's on 10643 (due 7 March: overdue), olav's on the volume (due 12 March),
  nina's on cert (due 20 March), one unassigned on cert, one of nina's done.
- Mail: olav's alert failed (malformed address), nina's alert waits for a retry,
  and one queued mail that is fine.

Import the fixtures into a test module: `from pacta.front.tests.watch_pages import portfolio  # noqa: F401`.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party
from pacta.core.actions.watch import do_open_action, do_resolve_action
from pacta.core.models import Action, OutboundMail
from pacta.core.tests.watch_world import at, penalty, store_verdict

NOW = at("2025-03-10T12:00:00+01:00")
TODAY = dt.date(2025, 3, 10)

VOLUME = CommitmentData(
    key="volume", type="volume_commitment", title="At least 10,000 units a quarter",
    params={"period": "quarter", "minimum": "10000", "shortfall_fee": "0.50"},
)
DEADLINE = {"kind": "attestation", "due": "2025-03-01"}


def open_action(commitment, owner, due_on, key="", by=None):
    """An action opened by hand (by `by`, default the manager), as of NOW."""
    with time_machine.travel(NOW, tick=False):
        return do_open_action(commitment, acting_user=by, owner=owner, instance_key=key,
                              title=f"{commitment.key} {key}".strip(), due_on=due_on)


@pytest.fixture
def portfolio(in_force, users):
    mona, olav, nina = users["mona"], users["olav"], users["nina"]
    with time_machine.travel(NOW, tick=False):
        volume_agreement = do_create_agreement(
            acting_user=mona, party=in_force.party, reference="ALFKI-VOL", valid_from=dt.date(2025, 1, 1),
            currency="EUR", timezone="Europe/Berlin", status="in_force",
            commitments=[CommitmentData(**{**VOLUME.__dict__, "owner": olav})])
        blaus = do_create_party(acting_user=mona, code="BLAUS", name="Blauer See", country="DE", spoc=nina)
        blaus_agreement = do_create_agreement(
            acting_user=mona, party=blaus, reference="BLAUS-2025", valid_from=dt.date(2025, 1, 1),
            timezone="Europe/Berlin", status="in_force", commitments=[
                CommitmentData(key="cert", type="deadline", title="Insurance certificate", params=DEADLINE,
                               owner=nina),
                CommitmentData(key="review", type="deadline", title="Price review", params=DEADLINE, owner=nina),
            ])
    call_ahead = in_force.commitment
    volume = volume_agreement.commitments.get()
    cert, review = blaus_agreement.commitments.get(key="cert"), blaus_agreement.commitments.get(key="review")
    store_verdict(call_ahead, "broken", {
        "10643": {"status": "broken", "money": [penalty("52.50"), penalty("10.00", state="paid")]},
        "10650": {"status": "open", "due": at("2025-03-13T10:00:00+01:00")},
        "10700": {"status": "open", "due": at("2025-03-20T10:00:00+01:00")},
    }, evaluated_at=NOW)
    store_verdict(volume, "at_risk", {"2025-Q1": {
        "status": "open", "health": "at_risk", "due": at("2025-03-31T23:59:59+02:00"),
        "money": [penalty("900", "projected", "shortfall", "them")]}}, evaluated_at=NOW)
    store_verdict(cert, "broken", {"2025-03-01": {"status": "broken", "money": [penalty("100", "due", "fee", "them")]}},
                  evaluated_at=NOW)
    store_verdict(review, "kept", {"2025-03-01": {"status": "kept"}}, evaluated_at=NOW)

    actions = {
        "olav_overdue": open_action(call_ahead, olav, dt.date(2025, 3, 7), "10643", by=mona),
        "olav_soon": open_action(volume, olav, dt.date(2025, 3, 12), "2025-Q1", by=mona),
        "nina": open_action(cert, nina, dt.date(2025, 3, 20), "2025-03-01", by=mona),
        "unassigned": open_action(cert, None, dt.date(2025, 3, 25), by=mona),
        "done": open_action(review, nina, dt.date(2025, 3, 1), by=mona),
    }
    Action.objects.filter(pk=actions["unassigned"].pk).update(owner=None, routing=Action.Routing.UNASSIGNED)
    done = actions["done"]
    with time_machine.travel(NOW, tick=False):
        do_resolve_action(done, acting_user=nina, expected_revision=done.revision, resolution="Reviewed.")
    mails = {
        "failed": OutboundMail.objects.create(kind="alert", recipient=olav, to="olav@", subject="Broken: call-ahead",
                                              body_text="t", status="failed", last_error="malformed e-mail address"),
        "retrying": OutboundMail.objects.create(kind="alert", recipient=nina, to="nina@example.com",
                                                subject="Overdue: cert", body_text="t", status="queued", attempts=2,
                                                next_attempt_at=NOW, last_error="Connection refused"),
        "fine": OutboundMail.objects.create(kind="alert", recipient=nina, to="nina@example.com", subject="Fine",
                                            body_text="t", status="queued", attempts=0, next_attempt_at=NOW),
    }
    return SimpleNamespace(
        users=users, mona=mona, olav=olav, nina=nina, alfki=in_force.party, blaus=blaus,
        call_ahead=call_ahead, volume=volume, cert=cert, review=review, actions=actions, mails=mails,
    )
