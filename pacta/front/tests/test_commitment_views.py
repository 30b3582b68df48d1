"""Commitments: the type choice, the generated forms, the page, waivers, removal, the list."""

import csv
import datetime as dt
import io

import time_machine
from django.urls import reverse

from pacta.core.commitments import REGISTRY
from pacta.core.models import AgreementVersion, Commitment, Instance, Waiver

REF = "ALFKI-2025"


def commitment_post(agreement, params, **common):
    data = {"revision": agreement.revision, "key": "on-time", "title": "Deliver within five days",
            "products": "", "direction": "we_owe", "how": "on the route sheet"}
    data.update(common)
    data.update({"p-" + k: v for k, v in params.items()})
    return data


ON_TIME = {"lead_days": "5", "grace_days": "0", "period": "month", "penalty__use": "on", "penalty__percent": "1",
           "penalty__per_days": "7"}
AMENDMENT = {"a-effective_from": "2025-07-01", "a-summary": "Two hours instead of one", "a-reason": "Dock staff",
             "a-agreed_by": "Maria Anders", "a-agreed_how": "signed"}


def test_the_type_choice_lists_every_type_with_its_help(world, as_user):
    text = as_user("olav").get(reverse("front:commitment_types", args=[REF])).text
    for name, ctype in REGISTRY.items():
        assert reverse("front:commitment_add", args=[REF, name]) in text
        assert str(ctype.help).replace("'", "&#x27;") in text


def test_an_unknown_type_is_not_found(world, as_user):
    assert as_user("olav").get(reverse("front:commitment_add", args=[REF, "telepathy"])).status_code == 404


def test_a_commitment_is_added_to_a_draft_through_its_generated_form(world, as_user, users):
    client = as_user("olav")
    page = client.get(reverse("front:commitment_add", args=[REF, "on_time_delivery"]))
    assert page.context["amendment"] is None  # a draft is edited in place
    response = client.post(reverse("front:commitment_add", args=[REF, "on_time_delivery"]),
                           commitment_post(world.agreement, ON_TIME, owner=users["olav"].pk, cost_amount="12.50"))
    commitment = Commitment.objects.get(key="on-time")
    assert response["Location"] == commitment.get_absolute_url()
    terms = commitment.current_terms()
    assert terms.params == {"lead_days": 5, "penalty": {"percent": "1", "per_days": 7}}
    assert (commitment.owner, commitment.how, commitment.direction) == (users["olav"], "on the route sheet", "we_owe")
    assert commitment.agreement.versions.count() == 1


def test_a_wrong_parameter_is_shown_next_to_its_input_and_nothing_is_lost(world, as_user):
    params = {**ON_TIME, "penalty__per_days": "0"}
    response = as_user("olav").post(reverse("front:commitment_add", args=[REF, "on_time_delivery"]),
                                    commitment_post(world.agreement, params))
    assert response.status_code == 200
    form = response.context["params"]
    assert form.errors["penalty__per_days"] == ["Must be at least 1."]
    assert form["penalty__percent"].value() == "1"
    assert response.context["form"]["title"].value() == "Deliver within five days"
    assert 'aria-invalid="true"' in response.text
    assert not Commitment.objects.filter(key="on-time").exists()


def test_a_key_that_exists_in_the_agreement_is_refused_next_to_the_key(world, as_user):
    data = commitment_post(world.agreement, {"min_before": "PT3H"}, key="call-ahead")
    response = as_user("olav").post(reverse("front:commitment_add", args=[REF, "notice_before_delivery"]), data)
    assert response.context["form"].errors["key"] == ["This agreement has a commitment with this id already."]
    assert world.commitment.current_terms().params["min_before"] == "PT1H"  # not overwritten


def test_a_table_gets_a_row_without_errors_or_losing_what_was_typed(world, as_user):
    params = {"tiers__rows": "1", "tiers__0__from": "10000", "tiers__0__rate": "1", "measure": "amount",
              "mode": "whole", "payout_days": "30", "period": "year", "align": "calendar", "basis": "invoice"}
    data = commitment_post(world.agreement, params, key="", _add_row="p-tiers__rows")
    response = as_user("olav").post(reverse("front:commitment_add", args=[REF, "volume_rebate"]), data)
    form = response.context["params"]
    assert form.rows["tiers"] == 2
    assert form["tiers__0__from"].value() == "10000"
    assert "errorlist" not in response.text  # the empty id is not judged yet
    assert not Commitment.objects.filter(type="volume_rebate").exists()


@time_machine.travel("2025-06-15 10:00 +02:00", tick=False)
def test_a_change_in_force_asks_for_the_amendment_then_makes_a_version(in_force, as_user):
    client = as_user("olav")
    url = reverse("front:commitment_edit", args=[REF, "call-ahead"])
    page = client.get(url)
    assert page.context["form"]["key"].value() == "call-ahead"
    assert page.context["params"]["min_before"].value() == "PT1H"
    assert page.context["amendment"]["effective_from"].value() == dt.date(2025, 6, 15)  # today
    data = commitment_post(in_force.agreement, {"min_before": "PT2H", "max_before": "P1D"}, key="call-ahead",
                           title="Call two hours before each delivery",
                           **{"a-effective_from": "2025-07-01", "a-agreed_how": "email"})
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "a change needs an amendment" in refused.context["amendment"].non_field_errors()[0]
    assert refused.context["params"]["min_before"].value() == "PT2H"
    saved = client.post(url, {**data, **AMENDMENT})
    assert saved.status_code == 302
    version = AgreementVersion.objects.get(number=2)
    assert (version.effective_from, version.agreed_by) == (dt.date(2025, 7, 1), "Maria Anders")
    assert [t.params["min_before"] for t in in_force.commitment.terms.order_by("version__number")] == ["PT1H", "PT2H"]


def test_the_executor_changes_without_a_version(in_force, as_user, users):
    commitment = in_force.commitment
    data = {"revision": commitment.revision, "owner": users["nina"].pk, "how": "checklist", "cost_hours": "0.25"}
    response = as_user("olav").post(reverse("front:commitment_operations", args=[REF, "call-ahead"]), data)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.owner, commitment.how, str(commitment.cost_hours)) == (users["nina"], "checklist", "0.25")
    assert in_force.agreement.versions.count() == 1


def test_removing_from_a_draft_deletes_after_confirmation(world, as_user):
    client = as_user("olav")
    url = reverse("front:commitment_remove", args=[REF, "call-ahead"])
    assert "The agreement is a draft: the commitment is deleted." in client.get(url).text
    client.post(url, {"revision": world.agreement.revision})
    assert not Commitment.objects.exists()


def test_removing_in_force_is_an_amendment(in_force, as_user):
    url = reverse("front:commitment_remove", args=[REF, "call-ahead"])
    response = as_user("olav").post(url, {"revision": in_force.agreement.revision, **AMENDMENT,
                                          "a-summary": "No more calls"})
    assert response.status_code == 302
    commitment = Commitment.objects.get()
    assert commitment.removed_in.number == 2
    page = as_user("olav").get(commitment.get_absolute_url()).text
    assert "No longer part of the agreement from version 2" in page


def test_a_commitment_not_evaluated_yet_says_so(world, as_user):
    text = as_user("vera").get(reverse("front:commitment", args=[REF, "call-ahead"])).text
    assert "Not evaluated yet" in text
    assert "not evaluated yet</span>" in text
    assert "1 hour (PT1H)" in text  # its terms in words


@time_machine.travel("2025-03-10 09:00 +01:00", tick=False)
def test_the_instances_show_status_due_money_and_explanation(world, as_user):
    commitment = world.commitment
    commitment.status, commitment.evaluated_at = "broken", dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
    commitment.explanation = "11 of 12 deliveries were announced; 10643 was not."
    commitment.save()
    Instance.objects.create(commitment=commitment, key="10643", status="broken", days_late=0,
                            due=dt.datetime(2025, 3, 7, 9, 0, tzinfo=dt.UTC), explanation="No call before delivery.",
                            money=[{"kind": "penalty", "amount": "1234.50", "currency": "EUR", "payer": "us",
                                    "state": "due"}])
    text = as_user("vera").get(commitment.get_absolute_url()).text
    assert "11 of 12 deliveries were announced" in text
    assert '<span class="status status-broken">broken</span>' in text
    assert "March 7, 2025, 10 a.m." in text  # 09:00 UTC is 10:00 in Berlin
    assert "(2 days ago)" in text  # 7 March 09:00 to 10 March 08:00 UTC: 2 days and 23 hours
    assert "€1,234.50" in text
    assert "No call before delivery." in text


@time_machine.travel("2025-03-10 09:00 +01:00", tick=False)
def test_an_instance_is_waived_with_who_and_why(world, as_user, users):
    Instance.objects.create(commitment=world.commitment, key="10643", status="broken")
    client = as_user("olav")
    url = reverse("front:instance_waive", args=[REF, "call-ahead", "10643"])
    refused = client.post(url, {"granted_by": "", "reason": "", "at": "2025-03-09T14:00"})
    assert refused.context["form"].errors["granted_by"]
    response = client.post(url, {"granted_by": "Maria Anders", "reason": "Dock was open anyway",
                                 "at": "2025-03-09T14:00"})
    assert response.status_code == 302
    waiver = Waiver.objects.get()
    assert (waiver.instance_key, waiver.granted_by, waiver.recorded_by) == ("10643", "Maria Anders", users["olav"])
    assert waiver.at == dt.datetime(2025, 3, 9, 13, 0, tzinfo=dt.UTC)  # 14:00 in Amsterdam
    assert "Dock was open anyway" in client.get(world.commitment.get_absolute_url()).text


def test_the_list_answers_which_customers_have_a_call_before_delivery_promise(world, as_user):
    client = as_user("vera")
    text = client.get(reverse("front:commitments") + "?type=notice_before_delivery&role=customer").text
    assert "Alfreds Futterkiste" in text and "call-ahead" in text
    assert "call-ahead" not in client.get(reverse("front:commitments") + "?type=payment_term").text
    rows = list(csv.reader(io.StringIO(client.get(reverse("front:commitments") + "?format=csv").content.decode())))
    assert rows[0][:3] == ["Agreement", "Party", "Party name"]
    assert rows[1][:7] == ["ALFKI-2025", "ALFKI", "Alfreds Futterkiste", "customer", "call-ahead",
                           "notice_before_delivery", "Call one hour before each delivery"]


def test_the_list_takes_the_dashboards_owner_the_one_who_answers_for_it(world, as_user, users):
    client = as_user("vera")
    # Nobody executes call-ahead and the agreement has no owner: the party's point of contact answers for it.
    assert "call-ahead" in client.get(reverse("front:commitments"), {"owner": "olav"}).text
    assert "call-ahead" not in client.get(reverse("front:commitments"), {"owner": "nina"}).text
    assert "call-ahead" not in client.get(reverse("front:commitments"), {"owner": "none"}).text


def test_the_list_takes_the_dashboards_money_at_stake(world, as_user):
    commitment = world.commitment
    commitment.money = [{"kind": "penalty", "amount": "52.50", "currency": "EUR", "payer": "us", "state": "due"}]
    commitment.save()
    client = as_user("vera")
    at_stake = client.get(reverse("front:commitments"), {"money": "penalty", "currency": "EUR", "payer": "us"})
    assert [c.key for c in at_stake.context["listing"].page] == ["call-ahead"]
    paid_by_them = client.get(reverse("front:commitments"), {"money": "penalty", "payer": "them"})
    assert list(paid_by_them.context["listing"].page) == []


def test_only_instances_still_owed_or_breached_can_be_waived(world, as_user):
    for key, status in (("10643", "broken"), ("10700", "kept"), ("10701", "open")):
        Instance.objects.create(commitment=world.commitment, key=key, status=status)
    text = as_user("olav").get(world.commitment.get_absolute_url()).text
    assert reverse("front:instance_waive", args=[REF, "call-ahead", "10643"]) in text
    assert reverse("front:instance_waive", args=[REF, "call-ahead", "10701"]) in text
    assert reverse("front:instance_waive", args=[REF, "call-ahead", "10700"]) not in text
