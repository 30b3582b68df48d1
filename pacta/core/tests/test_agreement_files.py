"""Agreement files into and out of the register: lossless, idempotent, all or nothing."""

import datetime as dt
import textwrap
from decimal import Decimal

import pytest
import yaml

from pacta.core.actions.register import (
    CommitmentData,
    VersionInfo,
    do_add_note,
    do_amend_agreement,
    do_create_agreement,
    do_create_party,
    do_update_commitment_operations,
)
from pacta.core.agreement_files import export_agreements, import_agreements_file
from pacta.core.imports import ImportErrors
from pacta.core.models import Agreement, AgreementVersion, AuditEntry, Commitment, Party

FILE = textwrap.dedent("""\
    agreements:
      - id: ALFKI-1997
        party: ALFKI
        party_name: Alfreds Futterkiste
        role: customer
        country: DE
        currency: EUR
        timezone: Europe/Berlin
        valid_from: 1997-01-01
        valid_to: 1997-12-31
        status: in_force
        owner: olav
        deputy: mona
        glossary:
          delivered: at the customer's dock
        notes:
          - date: 1996-12-01
            participants: Maria Anders, Olav
            text: She wants a call before each delivery.
        commitments:
          - id: call-ahead
            type: notice_before_delivery
            title: Call one hour before each delivery
            owner: olav
            registrar: mona
            how: on the route sheet
            cost: {amount: 2.50, hours: 0.25}
            min_before: PT1H
            max_before: PT24H
          - id: on-time
            type: on_time_delivery
            title: Every order delivered by its due date
            penalty: {percent: 0.5, cap_percent: 5}
    """)


def audit_count():
    return AuditEntry.objects.count()


def empty_register():
    """What a fresh database holds besides its users."""
    Agreement.objects.all().delete()
    Party.objects.all().delete()
    AuditEntry.objects.all().delete()


# ---------------------------------------------------------------------------
# importing a new agreement


def test_it_creates_the_agreement_its_party_notes_and_glossary(users):
    summary = import_agreements_file(FILE, acting_user=users["mona"])
    assert summary.created == ["ALFKI-1997"]
    assert summary.parties_created == ["ALFKI"]
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert agreement.party.name == "Alfreds Futterkiste"
    assert agreement.party.country == "DE"
    assert agreement.party.is_customer and not agreement.party.is_supplier
    assert agreement.status == "in_force"
    assert (agreement.owner, agreement.deputy) == (users["olav"], users["mona"])
    assert {g.term: g.definition for g in agreement.glossary.all()} == {"delivered": "at the customer's dock"}
    assert [n.text for n in agreement.notes.all()] == ["She wants a call before each delivery."]
    call = agreement.commitments.get(key="call-ahead")
    assert (call.owner, call.registrar, call.how) == (users["olav"], users["mona"], "on the route sheet")
    assert (call.cost_amount, call.cost_hours) == (Decimal("2.50"), Decimal("0.25"))
    assert call.current_terms().params == {"min_before": "PT1H", "max_before": "P1D"}
    assert agreement.versions.count() == 1


def test_it_reuses_an_existing_party_and_adds_the_supplier_role(users):
    do_create_party(acting_user=None, code="ALFKI", name="Alfreds (ERP name)", country="DE")
    import_agreements_file(FILE.replace("role: customer", "role: supplier"))
    party = Party.objects.get(code="ALFKI")
    assert party.name == "Alfreds (ERP name)"  # the register's master data is not renamed by a file
    assert party.is_customer and party.is_supplier


def test_it_reads_a_file_from_a_path(users, tmp_path):
    path = tmp_path / "alfki.yaml"
    path.write_text(FILE, encoding="utf-8")
    assert import_agreements_file(path).created == ["ALFKI-1997"]


# ---------------------------------------------------------------------------
# idempotence and updates


def test_importing_the_same_file_twice_changes_nothing(users):
    import_agreements_file(FILE)
    before, exported = audit_count(), export_agreements()
    summary = import_agreements_file(FILE)
    assert summary.unchanged == ["ALFKI-1997"]
    assert (summary.created, summary.updated) == ([], [])
    assert audit_count() == before
    assert export_agreements() == exported


def test_importing_its_own_export_changes_nothing(users):
    import_agreements_file(FILE)
    exported = export_agreements()
    before = audit_count()
    assert import_agreements_file(exported).unchanged == ["ALFKI-1997"]
    assert audit_count() == before


def test_a_draft_is_updated_in_place(users):
    import_agreements_file(FILE.replace("status: in_force", "status: draft"))
    import_agreements_file(FILE.replace("status: in_force", "status: draft").replace("PT1H", "PT2H"))
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert agreement.versions.count() == 1
    terms = agreement.commitments.get(key="call-ahead").terms.get()
    assert terms.params["min_before"] == "PT2H"


def test_an_agreement_in_force_refuses_new_terms_without_a_new_version(users):
    import_agreements_file(FILE)
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(FILE.replace("PT1H", "PT2H"))
    (issue,) = exc.value.issues
    assert (issue.line, issue.field) == (2, "versions")  # the agreement's line: the file has no versions key
    assert "new version" in issue.message


def test_an_agreement_in_force_records_the_files_new_versions_as_amendments(users):
    import_agreements_file(FILE)
    text = yaml.safe_load(export_agreements())
    doc = text["agreements"][0]
    doc["commitments"][0]["min_before"] = "PT2H"
    doc["versions"].append({
        "number": 2, "effective_from": dt.date(1997, 7, 1), "summary": "Two hours instead of one",
        "reason": "The dock is busy", "agreed_by": "Maria Anders", "agreed_how": "signed",
    })
    summary = import_agreements_file(yaml.safe_dump(text, sort_keys=False))
    assert summary.updated == ["ALFKI-1997"]
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    v1, v2 = agreement.versions.order_by("number")
    assert (v2.effective_from, v2.summary, v2.agreed_how) == (dt.date(1997, 7, 1), "Two hours instead of one", "signed")
    call = agreement.commitments.get(key="call-ahead")
    assert [t.params["min_before"] for t in call.terms.order_by("version__number")] == ["PT1H", "PT2H"]
    # the unchanged commitment keeps its version 1 terms: no terms row for version 2
    assert agreement.commitments.get(key="on-time").terms.count() == 1
    assert import_agreements_file(yaml.safe_dump(text, sort_keys=False)).unchanged == ["ALFKI-1997"]


def test_a_recorded_version_is_never_rewritten(users):
    import_agreements_file(FILE)
    text = yaml.safe_load(export_agreements())
    text["agreements"][0]["versions"][0]["summary"] = "Another story"
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(yaml.safe_dump(text, sort_keys=False))
    (issue,) = exc.value.issues
    assert issue.field == "versions"
    assert "Version 1 differs" in issue.message


def test_operational_fields_change_without_a_new_version(users):
    import_agreements_file(FILE)
    changed = FILE.replace("owner: olav\n    deputy", "owner: nina\n    deputy").replace(
        "how: on the route sheet", "how: checklist in the order screen").replace("status: in_force", "status: suspended")
    assert import_agreements_file(changed).updated == ["ALFKI-1997"]
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert (agreement.owner, agreement.status) == (users["nina"], "suspended")
    assert agreement.commitments.get(key="call-ahead").how == "checklist in the order screen"
    assert agreement.versions.count() == 1


def test_notes_missing_from_the_register_are_added_and_none_removed(users):
    import_agreements_file(FILE)
    more = FILE.replace("    commitments:", textwrap.indent(textwrap.dedent("""\
        - date: 1996-12-15
          text: Price list sent.
        """), "      ") + "    commitments:", 1)
    import_agreements_file(more)
    import_agreements_file(FILE)  # the first note only: the second one stays
    texts = sorted(n.text for n in Agreement.objects.get().notes.all())
    assert texts == ["Price list sent.", "She wants a call before each delivery."]


# ---------------------------------------------------------------------------
# errors: every one, with its line; nothing stored


BAD_FILE = textwrap.dedent("""\
    agreements:
      - id: GOOD-1
        party: GOOD
        role: customer
        currency: USD
        timezone: America/New_York
        valid_from: 1997-01-01
        commitments:
          - id: on-time
            type: on_time_delivery
            title: On time
      - id: BAD-1
        party: BAD
        role: customer
        currency: USD
        timezone: America/New_York
        valid_from: 1997-01-01
        owner: ghost
        deputy: olav
        commitments:
          - id: on-time
            type: on_time_delivery
            title: On time
            owner: phantom
          - id: call
            type: notice_before_delivery
            title: Call ahead
            registrar: spook
            min_before: PT1H
    """)


@pytest.mark.parametrize(
    "line, field, name",
    [
        (12, "owner", "ghost"),  # an agreement's users are located at the agreement
        (21, "owner", "phantom"),  # a commitment's at the commitment
        (25, "registrar", "spook"),
    ],
)
def test_a_bad_file_lists_every_unknown_user_with_its_line(users, line, field, name):
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(BAD_FILE)
    located = {(i.line, i.field): i.message for i in exc.value.issues}
    assert len(exc.value.issues) == 3
    assert name in located[(line, field)]
    assert f"agreements.yaml:{line}: {field}: Unknown user: {name}." in str(exc.value)


def test_nothing_is_stored_when_one_agreement_of_the_file_is_wrong(users):
    with pytest.raises(ImportErrors):
        import_agreements_file(BAD_FILE)
    assert not Agreement.objects.exists()
    assert not Party.objects.exists()


def test_errors_of_several_agreements_are_reported_together(users):
    import_agreements_file(FILE)
    second = FILE.replace("ALFKI-1997", "ANATR-1997").replace("party: ALFKI", "party: ANATR")
    import_agreements_file(second)
    both = FILE + second.split("agreements:\n", 1)[1]
    both = both.replace("party: ALFKI", "party: ANATR", 1).replace("PT1H", "PT3H")
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(both)
    issues = [(i.line, i.field) for i in exc.value.issues]
    # ALFKI-1997 changes its party (line 2); ANATR-1997 changes terms without a version (its line)
    second_line = both.splitlines().index("  - id: ANATR-1997") + 1
    assert issues == [(2, "party"), (second_line, "versions")]


def test_a_register_refusal_is_located_at_the_commitment(users):
    import_agreements_file(FILE.replace("status: in_force", "status: draft"))
    changed = FILE.replace("status: in_force", "status: draft").replace(
        "type: on_time_delivery", "type: deadline\n        kind: attestation\n        due: 1997-06-30").replace(
        "        penalty: {percent: 0.5, cap_percent: 5}\n", "")
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(changed)
    (issue,) = exc.value.issues
    assert issue.line == changed.splitlines().index("      - id: on-time") + 1
    assert issue.field == "type"


# ---------------------------------------------------------------------------
# export


def test_the_export_writes_numbers_as_numbers_and_durations_as_iso(users):
    import_agreements_file(FILE)
    text = export_agreements()
    assert "      percent: 0.5\n" in text
    assert "      cap_percent: 5\n" in text
    assert "    min_before: PT1H\n" in text
    assert "      amount: 2.50\n" in text
    assert "  valid_from: 1997-01-01\n" in text


def test_the_export_of_a_queryset_holds_only_its_agreements(users):
    import_agreements_file(FILE)
    import_agreements_file(FILE.replace("ALFKI-1997", "ALFKI-1998"))
    text = export_agreements(Agreement.objects.filter(reference="ALFKI-1998"))
    assert [a["id"] for a in yaml.safe_load(text)["agreements"]] == ["ALFKI-1998"]


# ---------------------------------------------------------------------------
# the round trip


def build_rich_register(users):
    """Agreements with everything a file can hold: amendments (changed, added
    and removed commitments, an operational change between versions), a
    glossary, notes, owners, costs, a draft and a supplier agreement."""
    mona, olav, nina = users["mona"], users["olav"], users["nina"]
    alfki = do_create_party(acting_user=mona, code="ALFKI", name="Alfreds Futterkiste", country="DE")
    exotic = do_create_party(acting_user=mona, code="S1", name="Exotic Liquids", country="GB",
                             is_customer=False, is_supplier=True)
    on_time = CommitmentData(
        key="on-time", type="on_time_delivery", title="Every order delivered by its due date",
        params={"grace_days": 1, "penalty": {"percent": "0.5", "per_days": 7, "cap_percent": "5"}},
        owner=olav, registrar=mona, how="on the route sheet", cost_amount=Decimal("12.50"), cost_hours=Decimal("1"),
        direction="we_owe",
    )
    rebate = CommitmentData(
        key="rebate", type="volume_rebate", title="Yearly rebate on turnover",
        params={"period": "year", "tiers": [{"from": "0", "rate": "0"}, {"from": "50000", "rate": "2.5"}]},
    )
    window = CommitmentData(
        key="window", type="delivery_window", title="Deliveries on weekday mornings",
        params={"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "07:00", "to": "12:30"},
        valid_from=dt.date(1997, 3, 1),
    )
    agreement = do_create_agreement(
        acting_user=mona, party=alfki, reference="ALFKI-1997", valid_from=dt.date(1997, 1, 1),
        valid_to=dt.date(1998, 6, 30), currency="USD", timezone="Europe/Berlin", title="Frame agreement",
        description="Two years.\nRenewed yearly.", owner=olav, deputy=nina, status="in_force",
        commitments=[on_time, rebate, window], glossary={"delivered": "shipped from our warehouse"},
        version=VersionInfo(effective_from=dt.date(1997, 1, 1), summary="Signed frame agreement",
                            agreed_by="Maria Anders", agreed_how="signed"),
    )
    do_add_note(agreement, acting_user=olav, date=dt.date(1996, 11, 20), participants="Maria Anders, Olav",
                text="Asked for 3 % rebate; we offered 2.5 %.")
    do_add_note(agreement, acting_user=olav, date=dt.date(1996, 12, 2), text="Agreed on the tiers.")
    # between the versions, the rebate gets an executor and the on-time
    # commitment another way into the work process (no new version)
    rebate_row = Commitment.objects.get(agreement=agreement, key="rebate")
    do_update_commitment_operations(rebate_row, acting_user=mona, expected_revision=None, owner=nina)
    on_time_row = Commitment.objects.get(agreement=agreement, key="on-time")
    do_update_commitment_operations(on_time_row, acting_user=mona, expected_revision=None,
                                    how="checklist in the order screen")
    do_amend_agreement(
        agreement, acting_user=mona, expected_revision=None,
        amendment=VersionInfo(effective_from=dt.date(1997, 7, 1), summary="Higher rebate tier, call ahead",
                              reason="Volume grew", agreed_by="Maria Anders", agreed_how="email"),
        commitments=[
            CommitmentData(**{**rebate.__dict__, "owner": nina, "params": {
                "period": "year", "tiers": [{"from": "0", "rate": "0"}, {"from": "40000", "rate": "3"}]}}),
            CommitmentData(key="call-ahead", type="notice_before_delivery", title="Call before each delivery",
                           params={"min_before": "PT1H", "max_before": "PT24H"}, owner=olav),
        ],
        remove=["window"],
        glossary={"delivered": "shipped from our warehouse", "order": "one order number"},
    )
    # after the last version, the on-time commitment's cost changes (operational)
    do_update_commitment_operations(Commitment.objects.get(agreement=agreement, key="on-time"), acting_user=mona,
                                    expected_revision=None, cost_amount=Decimal("15.00"))
    do_create_agreement(
        acting_user=mona, party=exotic, reference="S1-1997", valid_from=dt.date(1997, 1, 1), role="supplier",
        currency="GBP", timezone="Europe/London",
        commitments=[CommitmentData(key="price", type="agreed_price", title="Chai at 14.40",
                                    params={"price": "14.40"}, products=["1"])],
    )


def test_export_import_into_an_empty_register_and_export_again_gives_the_same_text(users):
    build_rich_register(users)
    first = export_agreements()
    empty_register()
    summary = import_agreements_file(first, acting_user=users["mona"])
    assert sorted(summary.created) == ["ALFKI-1997", "S1-1997"]
    assert sorted(summary.parties_created) == ["ALFKI", "S1"]
    assert export_agreements() == first
    # and the history is real, not only its text
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert list(agreement.versions.values_list("number", "summary")) == [
        (1, "Signed frame agreement"), (2, "Higher rebate tier, call ahead")]
    window = agreement.commitments.get(key="window")
    assert window.removed_in.number == 2
    rebate = agreement.commitments.get(key="rebate")
    assert [t.params["tiers"][1]["from"] for t in rebate.terms.order_by("version__number")] == ["50000", "40000"]
    assert Party.objects.get(code="S1").is_supplier


def test_the_rich_export_reads_as_expected(users):
    build_rich_register(users)
    doc = yaml.safe_load(export_agreements())["agreements"][0]
    assert [v["number"] for v in doc["versions"]] == [1, 2]
    assert [c["id"] for c in doc["versions"][0]["commitments"]] == ["on-time", "rebate", "window"]
    assert [c["id"] for c in doc["commitments"]] == ["on-time", "rebate", "call-ahead"]
    # a version shows the commitments as they read when it was made
    assert "owner" not in doc["versions"][0]["commitments"][1]
    assert doc["versions"][1]["commitments"][1]["owner"] == "nina"
    assert [v["commitments"][0]["how"] for v in doc["versions"]] == ["on the route sheet", "checklist in the order screen"]
    assert doc["commitments"][0]["cost"] == {"amount": 15.0, "hours": 1}
    assert doc["versions"][0]["commitments"][2]["from"] == "07:00"
    assert doc["glossary"] == {"delivered": "shipped from our warehouse", "order": "one order number"}
    assert AgreementVersion.objects.filter(agreement__reference="ALFKI-1997").count() == 2


def test_a_header_change_is_recorded_with_the_files_new_version(users):
    import_agreements_file(FILE)
    text = yaml.safe_load(export_agreements())
    doc = text["agreements"][0]
    doc["valid_to"] = dt.date(1998, 12, 31)
    doc["glossary"]["order"] = "one order number"
    doc["versions"].append({"number": 2, "effective_from": dt.date(1998, 1, 1), "summary": "Renewed for 1998"})
    import_agreements_file(yaml.safe_dump(text, sort_keys=False))
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert agreement.valid_to == dt.date(1998, 12, 31)
    assert agreement.glossary.count() == 2
    v2 = agreement.versions.get(number=2)
    assert v2.snapshot["valid_to"] == "1998-12-31"
    assert v2.snapshot["glossary"]["order"] == "one order number"


def test_the_contacts_of_the_file_are_added_to_the_party(users):
    with_contacts = FILE.replace("    glossary:", textwrap.indent(textwrap.dedent("""\
        contacts:
          - name: Maria Anders
            title: Sales Representative
            email: maria@alfki.example
        """), "    ") + "    glossary:", 1)
    import_agreements_file(with_contacts)
    import_agreements_file(with_contacts)
    (contact,) = Party.objects.get(code="ALFKI").contacts.all()
    assert (contact.name, contact.email) == ("Maria Anders", "maria@alfki.example")


def test_a_dry_run_reports_what_an_import_would_do_and_stores_nothing(users):
    summary = import_agreements_file(FILE, dry_run=True)
    assert (summary.created, summary.parties_created) == (["ALFKI-1997"], ["ALFKI"])
    assert not Agreement.objects.exists()
    assert not Party.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_uploaded_file_is_read_as_utf8_and_named_by_its_file_name(users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("alfki.yaml", FILE.replace("Alfreds", "Alfréds").encode("utf-8"))
    assert import_agreements_file(upload).created == ["ALFKI-1997"]
    assert Party.objects.get(code="ALFKI").name == "Alfréds Futterkiste"
    bad = SimpleUploadedFile("latin1.yaml", FILE.replace("Alfreds", "Alfréds").encode("latin-1"))
    with pytest.raises(ImportErrors) as exc:
        import_agreements_file(bad)
    assert str(exc.value).startswith("latin1.yaml:4: ")  # party_name is on line 4


def test_a_file_that_puts_a_draft_in_force_edits_the_draft_first(users):
    import_agreements_file(FILE.replace("status: in_force", "status: draft"))
    import_agreements_file(FILE.replace("PT1H", "PT2H"))
    agreement = Agreement.objects.get(reference="ALFKI-1997")
    assert agreement.status == "in_force"
    assert agreement.versions.count() == 1
    assert agreement.commitments.get(key="call-ahead").terms.get().params["min_before"] == "PT2H"
