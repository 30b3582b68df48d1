"""Intakes: clarify before committing, decide, and what an accepted intake becomes."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine

from pacta.core.actions.engagement import (
    DraftTerms,
    do_accept_counter_offer,
    do_create_intake,
    do_decide_intake,
    do_submit_intake,
    do_update_intake,
)
from pacta.core.actions.register import (
    CommitmentData,
    ConflictError,
    RegisterError,
    do_create_agreement,
    do_create_party,
)
from pacta.core.intake import cost_benefit, intakes_awaiting_decision, suggest_reference
from pacta.core.models import Agreement, AuditEntry, Intake

MONDAY = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone.utc)

CALL_AHEAD = {
    "key": "call-ahead", "type": "notice_before_delivery", "title": "Call one hour before each delivery",
    "params": {"min_before": "PT1H", "max_before": "PT24H"}, "cost": "12.50", "occurrences": "52",
}
PAY_LATER = {
    "key": "pay-later", "type": "payment_term", "title": "Invoices paid within 45 days",
    "params": {"days": 45}, "direction": "they_owe", "cost": "3.20", "occurrences": "250",
}
CLARIFIED = {
    "problem": "Drivers arrive unannounced and nobody is at the dock.",
    "desired_situation": "Somebody is ready at the dock when the truck arrives.",
    "goal": "No delivery waits at the dock.",
}


@pytest.fixture
def world(users):
    party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste", country="DE",
                            timezone="Europe/Berlin", spoc=users["olav"])
    return SimpleNamespace(users=users, mona=users["mona"], olav=users["olav"], party=party)


def new_intake(world, **fields) -> Intake:
    values = {"party": world.party, "title": "Call before delivery", **CLARIFIED,
              "key_terms": [{"term": "delivered", "definition": "at the customer's dock"}],
              "proposed_commitments": [CALL_AHEAD], **fields}
    return do_create_intake(acting_user=world.olav, **values)


def submitted(world, **fields) -> Intake:
    intake = new_intake(world, **fields)
    return do_submit_intake(intake, acting_user=world.olav, expected_revision=intake.revision)


def test_an_intake_starts_clarifying_owned_by_its_creator_and_is_audited(world):
    intake = new_intake(world)
    assert intake.status == Intake.Status.CLARIFYING
    assert intake.owner == world.olav and intake.created_by == world.olav
    entry = AuditEntry.objects.get(action="create_intake")
    assert entry.party == world.party and entry.user == world.olav


def test_it_refuses_an_intake_without_a_party_or_a_prospect(world):
    with pytest.raises(RegisterError) as refused:
        do_create_intake(acting_user=world.olav, title="Something")
    assert "party" in refused.value.errors
    intake = do_create_intake(acting_user=world.olav, title="Something", prospect_name="Ernst Handel")
    assert intake.party is None and intake.prospect_name == "Ernst Handel"


def test_it_refuses_an_agreement_of_another_party(world):
    other = do_create_party(acting_user=world.mona, code="BLAUS", name="Blauer See")
    theirs = do_create_agreement(acting_user=world.mona, party=other, reference="BLAUS-2025",
                                 valid_from=dt.date(2025, 1, 1))
    with pytest.raises(RegisterError) as refused:
        new_intake(world, agreement=theirs)
    assert list(refused.value.errors) == ["agreement"]


def test_key_terms_need_a_definition_and_are_defined_once(world):
    with pytest.raises(RegisterError) as refused:
        new_intake(world, key_terms=[
            {"term": "delivered", "definition": "at the dock"},
            {"term": "on time", "definition": ""},
            {"term": "", "definition": ""},  # an empty row is left out
            {"term": "Delivered", "definition": "signed for"},
        ])
    assert set(refused.value.errors) == {"key_terms.1.definition", "key_terms.3.term"}


def test_proposed_promises_are_validated_like_commitments_with_located_errors(world):
    bad = {**CALL_AHEAD, "params": {"min_before": "one hour"}, "cost": "-1"}
    unknown = {**CALL_AHEAD, "key": "other", "type": "teleportation"}
    with pytest.raises(RegisterError) as refused:
        new_intake(world, proposed_commitments=[bad, unknown])
    errors = refused.value.errors
    assert "proposed_commitments.0.params.min_before" in errors
    assert "proposed_commitments.0.cost" in errors
    assert "proposed_commitments.1.type" in errors


def test_proposed_parameters_are_stored_normalised(world):
    intake = new_intake(world, proposed_commitments=[{**PAY_LATER, "params": {"days": "45"}}])
    assert intake.proposed_commitments[0]["params"] == {"days": 45}
    assert intake.proposed_commitments[0]["cost"] == "3.20"


def test_an_edit_with_an_old_revision_is_refused_and_changes_nothing(world):
    intake = new_intake(world)
    read = intake.revision
    do_update_intake(intake, acting_user=world.olav, expected_revision=read, goal="Nobody waits.")
    stale = Intake.objects.get(pk=intake.pk)
    with pytest.raises(ConflictError):
        do_update_intake(stale, acting_user=world.mona, expected_revision=read, goal="Something else")
    assert Intake.objects.get(pk=intake.pk).goal == "Nobody waits."
    assert AuditEntry.objects.filter(action="change_intake").count() == 1


def test_submitting_needs_the_problem_the_desired_situation_and_the_goal(world):
    intake = new_intake(world, problem="", goal="")
    with pytest.raises(RegisterError) as refused:
        do_submit_intake(intake, acting_user=world.olav, expected_revision=intake.revision)
    assert set(refused.value.errors) == {"problem", "goal"}
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.CLARIFYING


def test_submitting_starts_the_wait_for_a_decision(world):
    with time_machine.travel(MONDAY, tick=False):
        intake = submitted(world)
    assert intake.status == Intake.Status.AWAITING_DECISION
    assert intake.submitted_at == MONDAY


def test_cost_and_benefit_per_promise_against_the_expected_margin(world, settings):
    settings.PACTA_COST_SHARE_LIMIT = "18"
    intake = new_intake(world, proposed_commitments=[CALL_AHEAD, PAY_LATER], expected_margin=Decimal("4000"))
    figures = cost_benefit(intake)
    call, pay = figures.promises
    # call-ahead: 12.50 × 52 = 650.00, 650 / 4000 = 16.25 % -> 16.3 (half up), not above 18 %
    assert call.yearly == Decimal("650.00") and call.share_of_margin == Decimal("16.3") and not call.flagged
    # pay-later: 3.20 × 250 = 800.00, 800 / 4000 = 20.0 %: above 18 %, flagged
    assert pay.yearly == Decimal("800.00") and pay.share_of_margin == Decimal("20.0") and pay.flagged
    # together 1,450.00 = 36.25 % -> 36.3; the margin keeps 4,000 - 1,450 = 2,550.00
    assert figures.total == Decimal("1450.00") and figures.share_of_margin == Decimal("36.3")
    assert figures.margin_after == Decimal("2550.00")
    assert figures.warn and not figures.eats_margin


def test_promises_within_the_limit_are_not_flagged_and_more_than_the_whole_margin_eats_it(world, settings):
    settings.PACTA_COST_SHARE_LIMIT = "50"
    intake = new_intake(world, proposed_commitments=[CALL_AHEAD, PAY_LATER], expected_margin=Decimal("2000"))
    # 650 / 2,000 = 32.5 %, 800 / 2,000 = 40.0 %: both within 50 %; the margin keeps 550
    figures = cost_benefit(intake)
    assert [p.share_of_margin for p in figures.promises] == [Decimal("32.5"), Decimal("40.0")]
    assert not figures.warn and not figures.eats_margin
    intake.expected_margin = Decimal("1000")
    # 1,000 - 1,450 = -450: together they eat the whole margin; each is above 50 % of it
    figures = cost_benefit(intake)
    assert figures.margin_after == Decimal("-450") and figures.eats_margin
    assert [p.flagged for p in figures.promises] == [True, True]  # 65.0 % and 80.0 %


def test_a_promise_without_its_occurrences_is_left_out_of_the_total_and_named(world):
    intake = new_intake(world, proposed_commitments=[CALL_AHEAD, {**PAY_LATER, "occurrences": ""}])
    figures = cost_benefit(intake)
    assert figures.total == Decimal("650.00")  # call-ahead only
    assert figures.incomplete == ["pay-later"]
    assert figures.share_of_margin is None  # no expected margin given


def test_accepting_makes_a_draft_agreement_with_the_glossary_the_promises_and_the_clarification(world):
    with time_machine.travel(MONDAY, tick=False):
        intake = submitted(world, proposed_commitments=[CALL_AHEAD, PAY_LATER], currency="EUR")
        intake = do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision,
                                  decision="accept", reason="Cheap and valued.",
                                  terms=DraftTerms(reference="ALFKI-2025", valid_from=dt.date(2025, 4, 1)))
    agreement = intake.agreement
    assert intake.status == Intake.Status.ACCEPTED and intake.decided_by == world.mona
    assert intake.decided_at == MONDAY
    assert agreement.status == Agreement.Status.DRAFT and agreement.party == world.party
    assert agreement.owner == world.olav and agreement.title == "Call before delivery"
    assert agreement.timezone == "Europe/Berlin" and agreement.valid_from == dt.date(2025, 4, 1)
    assert {g.term: g.definition for g in agreement.glossary.all()} == {"delivered": "at the customer's dock"}
    call = agreement.commitments.get(key="call-ahead")
    assert call.type == "notice_before_delivery" and call.direction == "we_owe"
    assert call.cost_amount == Decimal("12.50")
    assert call.current_terms().params == {"min_before": "PT1H", "max_before": "P1D"}  # normalised
    assert agreement.commitments.get(key="pay-later").direction == "they_owe"
    note = agreement.notes.get()
    assert "Drivers arrive unannounced" in note.text and "Cheap and valued." in note.text
    assert list(world.party.intakes.filter(agreement=agreement)) == [intake]
    assert AuditEntry.objects.filter(action="accept_intake", agreement=agreement).exists()


def test_a_refused_acceptance_changes_nothing(world):
    do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2025",
                        valid_from=dt.date(2025, 1, 1))
    intake = submitted(world)
    with pytest.raises(RegisterError) as refused:
        do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="accept",
                         terms=DraftTerms(reference="ALFKI-2025", valid_from=dt.date(2025, 4, 1)))
    assert "reference" in refused.value.errors
    stored = Intake.objects.get(pk=intake.pk)
    assert stored.status == Intake.Status.AWAITING_DECISION and stored.agreement is None
    assert Agreement.objects.count() == 1


def test_a_prospect_must_become_a_party_before_its_request_is_accepted(world):
    intake = submitted(world, party=None, prospect_name="Ernst Handel")
    with pytest.raises(RegisterError) as refused:
        do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="accept",
                         terms=DraftTerms(reference="ERNSH-2025", valid_from=dt.date(2025, 4, 1)))
    assert "Ernst Handel" in refused.value.errors["party"][0]


def test_declining_needs_the_reason(world):
    intake = submitted(world)
    with pytest.raises(RegisterError) as refused:
        do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="decline")
    assert list(refused.value.errors) == ["reason"]
    intake = do_decide_intake(Intake.objects.get(pk=intake.pk), acting_user=world.mona,
                              expected_revision=intake.revision, decision="decline",
                              reason="Our drivers cannot phone while driving.")
    assert intake.status == Intake.Status.DECLINED and intake.agreement is None
    with pytest.raises(RegisterError):
        do_update_intake(intake, acting_user=world.mona, expected_revision=intake.revision, goal="again")


def test_a_counter_offer_is_recorded_and_accepted_later_as_edited(world):
    intake = submitted(world)
    with pytest.raises(RegisterError):
        do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="counter")
    intake = do_decide_intake(Intake.objects.get(pk=intake.pk), acting_user=world.mona,
                              expected_revision=intake.revision, decision="counter",
                              counter_offer="Not a call, but we can send an e-mail when the truck leaves.")
    assert intake.status == Intake.Status.COUNTERED and intake.agreement is None
    # The proposal is edited to what we can do; then the customer takes it.
    email_ahead = {**CALL_AHEAD, "key": "mail-ahead", "title": "E-mail when the truck leaves",
                   "params": {"min_before": "PT2H"}}
    intake = do_update_intake(intake, acting_user=world.olav, expected_revision=intake.revision,
                              proposed_commitments=[email_ahead])
    intake = do_accept_counter_offer(intake, acting_user=world.mona, expected_revision=intake.revision,
                                     terms=DraftTerms(reference="ALFKI-2025", valid_from=dt.date(2025, 4, 1)))
    assert intake.status == Intake.Status.ACCEPTED
    assert list(intake.agreement.commitments.values_list("key", flat=True)) == ["mail-ahead"]
    assert "send an e-mail when the truck leaves" in intake.agreement.notes.get().text


def test_only_a_counter_offer_can_be_accepted_as_one(world):
    intake = submitted(world)
    with pytest.raises(RegisterError):
        do_accept_counter_offer(intake, acting_user=world.mona, expected_revision=intake.revision,
                                terms=DraftTerms(reference="ALFKI-2025", valid_from=dt.date(2025, 4, 1)))


def test_a_change_of_a_draft_agreement_is_added_to_it(world):
    draft = do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2025",
                                valid_from=dt.date(2025, 1, 1), glossary={"order": "a purchase order"})
    intake = submitted(world, agreement=draft)
    intake = do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="accept")
    assert intake.agreement == draft
    assert draft.versions.count() == 1  # still the draft's own version
    assert set(draft.glossary.values_list("term", flat=True)) == {"order", "delivered"}
    assert draft.commitments.get().key == "call-ahead"


def test_a_change_of_an_agreement_in_force_is_an_amendment_from_the_date_given(world):
    agreement = do_create_agreement(
        acting_user=world.mona, party=world.party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
        status="in_force", commitments=[CommitmentData(key="pay", type="payment_term", title="Pay in 30 days",
                                                       params={"days": 30})])
    intake = submitted(world, agreement=agreement)
    with pytest.raises(RegisterError) as refused:
        do_decide_intake(intake, acting_user=world.mona, expected_revision=intake.revision, decision="accept")
    assert list(refused.value.errors) == ["valid_from"]
    intake = do_decide_intake(Intake.objects.get(pk=intake.pk), acting_user=world.mona,
                              expected_revision=intake.revision, decision="accept",
                              terms=DraftTerms(valid_from=dt.date(2025, 6, 1)))
    version = agreement.current_version()
    assert version.number == 2 and version.effective_from == dt.date(2025, 6, 1)
    assert "Call before delivery" in version.summary
    assert set(agreement.commitments.values_list("key", flat=True)) == {"pay", "call-ahead"}


def test_intakes_waiting_for_a_decision_longer_than_a_week_are_the_owners_to_chase(world):
    with time_machine.travel(MONDAY, tick=False):
        old = submitted(world, title="Old request")
        mine_new = new_intake(world, title="Not submitted")
    with time_machine.travel(MONDAY + dt.timedelta(days=3), tick=False):
        recent = submitted(world, title="Recent request")
    with time_machine.travel(MONDAY, tick=False):
        monas = do_create_intake(acting_user=world.mona, party=world.party, title="Mona's", **CLARIFIED)
        do_submit_intake(monas, acting_user=world.mona, expected_revision=monas.revision)
    exactly_a_week = MONDAY + dt.timedelta(days=7)
    assert list(intakes_awaiting_decision(world.olav, exactly_a_week)) == []
    later = exactly_a_week + dt.timedelta(seconds=1)
    assert list(intakes_awaiting_decision(world.olav, later)) == [old]
    assert set(intakes_awaiting_decision(None, later)) == {old, monas}
    # submitted three days later: a week and a second after that, it is overdue too
    assert recent in intakes_awaiting_decision(None, later + dt.timedelta(days=3))
    assert mine_new not in intakes_awaiting_decision(None, later + dt.timedelta(days=30))


def test_the_suggested_reference_is_free(world):
    intake = new_intake(world)
    assert suggest_reference(intake, 2025) == "ALFKI-2025"
    do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2025",
                        valid_from=dt.date(2025, 1, 1))
    do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2025-2",
                        valid_from=dt.date(2025, 1, 1))
    assert suggest_reference(intake, 2025) == "ALFKI-2025-3"
