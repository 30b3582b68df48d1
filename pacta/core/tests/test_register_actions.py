"""The register's writes: versions, amendments, concurrency, audit."""

import datetime as dt

import pytest

from pacta.core.actions.register import (
    CommitmentData,
    ConflictError,
    RegisterError,
    VersionInfo,
    do_create_agreement,
    do_create_party,
    do_remove_commitment,
    do_save_commitment,
    do_update_agreement,
)
from pacta.core.documents import version_diff
from pacta.core.models import Agreement, AuditEntry, Commitment
from pacta.core.permissions import can_change

CALL_AHEAD = CommitmentData(
    key="call-ahead", type="notice_before_delivery", title="Call one hour before each delivery",
    params={"min_before": "PT1H", "max_before": "PT24H"},
)


@pytest.fixture
def agreement(users):
    party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste",
                            country="DE", spoc=users["olav"])
    return do_create_agreement(
        acting_user=users["mona"], party=party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", commitments=[CALL_AHEAD],
        glossary={"delivered": "at the customer's dock"},
    )


def test_it_creates_the_first_version_with_a_snapshot(agreement):
    v1 = agreement.versions.get()
    assert v1.number == 1
    assert v1.snapshot["commitments"][0]["min_before"] == "PT1H"
    assert v1.snapshot["glossary"] == {"delivered": "at the customer's dock"}


def test_a_draft_is_edited_in_place(agreement, users):
    data = CommitmentData(**{**CALL_AHEAD.__dict__, "params": {"min_before": "PT2H"}})
    do_save_commitment(agreement, data, acting_user=users["mona"], expected_revision=agreement.revision)
    assert agreement.versions.count() == 1
    assert agreement.versions.get().snapshot["commitments"][0]["min_before"] == "PT2H"


def test_an_agreement_in_force_needs_an_amendment(agreement, users):
    do_update_agreement(agreement, acting_user=users["mona"], expected_revision=agreement.revision, status="in_force")
    data = CommitmentData(**{**CALL_AHEAD.__dict__, "params": {"min_before": "PT2H"}})
    with pytest.raises(RegisterError) as exc:
        do_save_commitment(agreement, data, acting_user=users["mona"], expected_revision=agreement.revision)
    assert "amendment" in exc.value.errors


def test_an_amendment_keeps_the_old_terms_for_their_period(agreement, users):
    do_update_agreement(agreement, acting_user=users["mona"], expected_revision=agreement.revision, status="in_force")
    data = CommitmentData(**{**CALL_AHEAD.__dict__, "params": {"min_before": "PT2H"}})
    amendment = VersionInfo(effective_from=dt.date(2025, 7, 1), summary="Two hours instead of one",
                            reason="Customer's dock staff", agreed_by="Maria Anders", agreed_how="signed")
    do_save_commitment(agreement, data, acting_user=users["mona"], expected_revision=agreement.revision,
                       amendment=amendment)
    commitment = Commitment.objects.get(agreement=agreement, key="call-ahead")
    terms = list(commitment.terms.order_by("version__number"))
    assert [t.params["min_before"] for t in terms] == ["PT1H", "PT2H"]
    v1, v2 = agreement.versions.order_by("number")
    assert v2.effective_from == dt.date(2025, 7, 1)
    diff = version_diff(v1, v2)
    assert ("-", "  min_before: PT1H") in diff
    assert ("+", "  min_before: PT2H") in diff


def test_an_amendment_cannot_take_effect_before_the_version_it_amends(agreement, users):
    do_update_agreement(agreement, acting_user=users["mona"], expected_revision=agreement.revision, status="in_force")
    with pytest.raises(RegisterError) as exc:
        do_save_commitment(agreement, CALL_AHEAD, acting_user=users["mona"], expected_revision=agreement.revision,
                           amendment=VersionInfo(effective_from=dt.date(2024, 12, 1), summary="Earlier"))
    assert "effective_from" in exc.value.errors
    assert agreement.versions.count() == 1


def test_the_second_of_two_concurrent_saves_is_refused(agreement, users):
    first = Agreement.objects.get(pk=agreement.pk)
    second = Agreement.objects.get(pk=agreement.pk)
    do_update_agreement(first, acting_user=users["mona"], expected_revision=first.revision, title="First")
    with pytest.raises(ConflictError):
        do_update_agreement(second, acting_user=users["olav"], expected_revision=second.revision, title="Second")
    assert Agreement.objects.get(pk=agreement.pk).title == "First"


def test_bad_parameters_are_refused_with_their_field(agreement, users):
    data = CommitmentData(key="window", type="delivery_window", title="Mornings only",
                          params={"from": "12:00", "to": "25:00"})
    with pytest.raises(RegisterError) as exc:
        do_save_commitment(agreement, data, acting_user=users["mona"], expected_revision=agreement.revision)
    assert "params.to" in exc.value.errors
    assert not Commitment.objects.filter(key="window").exists()


def test_removing_a_commitment_of_an_agreement_in_force_keeps_its_history(agreement, users):
    do_update_agreement(agreement, acting_user=users["mona"], expected_revision=agreement.revision, status="in_force")
    commitment = Commitment.objects.get(key="call-ahead")
    do_remove_commitment(commitment, acting_user=users["mona"], expected_revision=agreement.revision,
                         amendment=VersionInfo(effective_from=dt.date(2025, 9, 1), summary="No more calls"))
    commitment.refresh_from_db()
    assert commitment.removed_in.number == 2
    assert agreement.versions.get(number=2).snapshot["commitments"] == []
    assert agreement.versions.get(number=1).snapshot["commitments"][0]["id"] == "call-ahead"


def test_every_write_is_audited_with_its_author(agreement, users):
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "user__username"))
    assert actions[:3] == [("create_party", "mona"), ("create_agreement", "mona"), ("add_commitment", "mona")]


def test_members_change_only_what_they_own(agreement, users):
    assert can_change(users["olav"], agreement)  # point of contact of the party
    assert not can_change(users["nina"], agreement)
    assert not can_change(users["vera"], agreement)
    assert can_change(users["mona"], agreement)
