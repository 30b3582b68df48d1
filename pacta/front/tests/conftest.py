"""The web interface's small world: ALFKI, a customer whose point of contact is
olav, with one draft agreement holding one commitment (call ahead)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party, do_update_agreement

CALL_AHEAD = CommitmentData(
    key="call-ahead", type="notice_before_delivery", title="Call one hour before each delivery",
    params={"min_before": "PT1H", "max_before": "PT24H"},
)


@pytest.fixture
def world(users):
    party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste",
                            country="DE", city="Berlin", spoc=users["olav"])
    agreement = do_create_agreement(
        acting_user=users["mona"], party=party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", title="Delivery terms",
        commitments=[CALL_AHEAD], glossary={"delivered": "at the customer's dock"},
    )
    return SimpleNamespace(party=party, agreement=agreement, commitment=agreement.commitments.get(), users=users)


@pytest.fixture
def in_force(world):
    """The world's agreement, put in force."""
    agreement = world.agreement
    do_update_agreement(agreement, acting_user=world.users["mona"], expected_revision=agreement.revision,
                        status="in_force")
    agreement.refresh_from_db()
    return world


@pytest.fixture
def as_user(client, users):
    """A client signed in as one of the world's users: `as_user("olav")`."""

    def sign_in(name):
        client.force_login(users[name])
        return client

    return sign_in


@pytest.fixture
def client_factory(users):
    """A fresh client signed in as one of the world's users, for two people at once."""

    def sign_in(name):
        client = Client()
        client.force_login(users[name])
        return client

    return sign_in
