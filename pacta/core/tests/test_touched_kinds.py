"""New events re-evaluate the commitments they can change, whatever kind a commitment names."""

import datetime as dt

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party
from pacta.core.evaluation import touched_commitments


def test_a_recurring_promise_about_deliveries_is_touched_by_a_delivery(users):
    party = do_create_party(acting_user=users["mona"], code="BERGS", name="Berglunds snabbköp", country="SE")
    do_create_agreement(
        acting_user=users["mona"], party=party, reference="BERGS-2025", valid_from=dt.date(2025, 1, 1),
        status="in_force", currency="EUR", timezone="Europe/Stockholm",
        commitments=[
            CommitmentData(key="weekly-run", type="recurring", title="A delivery every week",
                           params={"kind": "delivery", "every": "P7D"}),
            CommitmentData(key="window", type="delivery_window", title="Mornings",
                           params={"from": "07:00", "to": "12:00"}),
            CommitmentData(key="pay", type="payment_term", title="Net 30", params={"days": 30}),
        ],
    )
    touched = set(touched_commitments([party.pk], ["delivery"]).values_list("key", flat=True))
    assert touched == {"weekly-run", "window"}  # the payment term does not read deliveries
