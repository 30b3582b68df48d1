"""Reading YAML agreement files: every field validated, every problem at the line of its key."""

import datetime as dt
import re
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import model_validator

from pacta.core.commitments.base import REGISTRY, CommitmentType, Params
from pacta.core.imports import ImportErrors, docs_to_specs, parse_agreements


def parse(text: str):
    return parse_agreements(textwrap.dedent(text), "agreements.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ImportErrors) as exc:
        parse(text)
    return str(exc.value).splitlines()


SECTION_4 = """\
    agreements:
      - id: ALFKI-2025            # unique
        party: ALFKI              # the party's id, as in the events
        party_name: Alfreds Futterkiste
        role: customer            # customer | supplier
        country: NL               # holidays for business days
        currency: EUR
        timezone: Europe/Amsterdam
        valid_from: 2025-01-01
        valid_to: 2025-12-31
        commitments:
          - id: call-ahead
            type: notice_before_delivery
            title: Call the customer one hour before each delivery
            min_before: PT1H
            max_before: PT24H
    """


def test_it_reads_the_example_of_the_contract():
    [doc] = parse(SECTION_4)
    assert (doc.id, doc.party, doc.party_name, doc.role, doc.country) == (
        "ALFKI-2025", "ALFKI", "Alfreds Futterkiste", "customer", "NL")
    assert (doc.currency, doc.timezone, doc.valid_from, doc.valid_to) == (
        "EUR", "Europe/Amsterdam", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert doc.status == "in_force" and doc.line == 2
    [c] = doc.commitments
    assert (c.id, c.type, c.title, c.line) == ("call-ahead", "notice_before_delivery",
                                               "Call the customer one hour before each delivery", 12)
    assert c.params.min_before == dt.timedelta(hours=1) and c.params.max_before == dt.timedelta(hours=24)
    assert c.params_data == {"min_before": "PT1H", "max_before": "P1D"}  # what the register stores


def test_it_reads_what_the_register_keeps():
    [doc] = parse("""\
        agreements:
          - id: A-1
            party: A
            role: supplier
            currency: EUR
            timezone: UTC
            valid_from: 2025-01-01
            title: Supply of widgets
            status: draft
            description: Frame agreement.
            owner: olav
            deputy: mona
            glossary:
              delivered: at our dock
            notes:
              - date: 2024-12-01
                participants: Olav, Mr. A
                text: They asked for 60 days.
            contacts:
              - name: Anna A
                email: anna@example.com
                receives_updates: false
            commitments:
              - id: pay
                type: payment_term
                title: We pay within 30 days
                days: 30
                direction: we_owe
                owner: olav
                registrar: mona
                how: in the payment run
                cost: {amount: 12.50, hours: 0.25}
        """)
    assert (doc.title, doc.status, doc.description, doc.owner, doc.deputy) == (
        "Supply of widgets", "draft", "Frame agreement.", "olav", "mona")
    assert doc.glossary == {"delivered": "at our dock"}
    assert [(n.date, n.participants, n.text) for n in doc.notes] == [
        (dt.date(2024, 12, 1), "Olav, Mr. A", "They asked for 60 days.")]
    assert [(c.name, c.email, c.receives_updates) for c in doc.contacts] == [("Anna A", "anna@example.com", False)]
    [c] = doc.commitments
    assert (c.direction, c.owner, c.registrar, c.how) == ("we_owe", "olav", "mona", "in the payment run")
    assert (c.cost_amount, c.cost_hours) == (Decimal("12.50"), Decimal("0.25"))


def test_it_reads_yaml_scalars_the_way_people_mean_them():
    [doc] = parse("""\
        agreements:
          - id: N-1
            party: N
            role: customer
            country: NO
            currency: NOK
            timezone: Europe/Oslo
            valid_from: 2025-01-01
            commitments:
              - id: mornings
                type: delivery_window
                title: Mornings only
                from: 07:00
                to: 12:00
              - id: rebate
                type: volume_rebate
                title: Rebate
                tiers: [{from: 0, rate: 0}, {from: 10000, rate: 2.5}]
        """)
    assert doc.country == "NO"  # not the YAML 1.1 boolean false
    window, rebate = doc.commitments
    assert (window.params.from_, window.params.to) == (dt.time(7), dt.time(12))  # not 720 minutes
    assert rebate.params.tiers[1].rate == Decimal("2.5")


def test_it_reports_every_problem_at_the_line_of_its_key():
    assert problems("""\
        agreements:
          - id: ALFKI 2025
            party: ALFKI
            role: buyer
            currency: eur
            timezone: Mars/Base
            valid_from: 2025-13-01
            colour: red
            commitments:
              - id: call-ahead
                type: notice_before_delivery
                title: Call
                min_before: PT1H
                max_before: PT30M
              - id: call-ahead
                type: nonsense
                title: x
              - id: otd
                type: on_time_delivery
                title: On time
                penalty:
                  per_days: 0
                colour: blue
        """) == [
        "agreements.yaml:2: id: Use letters, digits, '-', '_' and '.' only, starting with a letter or digit: ALFKI 2025.",
        "agreements.yaml:4: role: Choose one of: customer, supplier.",
        "agreements.yaml:5: currency: Not a currency code (three capital letters such as EUR): eur.",
        "agreements.yaml:6: timezone: Unknown time zone: Mars/Base.",
        "agreements.yaml:7: valid_from: Enter a date such as 2025-03-01: 2025-13-01.",
        "agreements.yaml:8: colour: Unknown field; expected one of: id, party, party_name, title, role, country, "
        "currency, timezone, valid_from, valid_to, status, description, owner, deputy, glossary, notes, contacts, "
        "commitments, versions.",
        "agreements.yaml:14: max_before: max_before must not be shorter than min_before.",
        "agreements.yaml:15: id: The commitment id call-ahead is used twice in this agreement (first on line 10).",
        "agreements.yaml:16: type: Unknown type nonsense; expected one of: agreed_price, conditional_price, deadline, "
        "delivery_window, notice_before_delivery, on_time_delivery, payment_term, recurring, response_time, "
        "volume_commitment, volume_rebate.",
        "agreements.yaml:21: penalty.percent: This field is required.",
        "agreements.yaml:22: penalty.per_days: Must be at least 1.",
        "agreements.yaml:23: colour: Unknown field.",
    ]


def test_a_due_time_without_an_offset_is_left_to_the_agreements_clock():
    [doc] = parse("""\
        agreements:
          - {id: A-1, party: A, role: customer, currency: EUR, timezone: Europe/Oslo, valid_from: 2025-01-01,
             commitments: [{id: r, type: deadline, title: Review, kind: attestation, due: 2025-03-01T10:00:00}]}
        """)
    assert doc.commitments[0].params.due == dt.datetime(2025, 3, 1, 10, 0)


class _PairParams(Params):
    low: int = 0
    high: int = 0

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError("high must not be below low.")
        return self


class _PairType(CommitmentType):
    name = "test_pair"
    label = help = "A test type with a check across its parameters."
    Params = _PairParams

    def evaluate_many(self, specs, events, as_of):
        return []  # only its parameters are read in these tests


def test_a_problem_of_the_parameters_together_is_reported_at_the_commitment(monkeypatch):
    monkeypatch.setitem(REGISTRY, "test_pair", _PairType())
    assert problems("""\
        agreements:
          - id: A-1
            party: A
            role: customer
            currency: EUR
            timezone: UTC
            valid_from: 2025-01-01
            commitments:
              - id: pair
                type: test_pair
                title: Pair
                low: 5
                high: 1
        """) == ["agreements.yaml:9: high must not be below low."]


def test_it_reports_missing_keys_at_the_line_of_their_agreement():
    assert problems("""\
        agreements:
          - id: A-1
            commitments: []
        """) == [
        "agreements.yaml:2: party: Required.",
        "agreements.yaml:2: timezone: Required.",
        "agreements.yaml:2: currency: Required.",
        "agreements.yaml:2: valid_from: Required.",
        "agreements.yaml:2: role: Required.",
    ]


def test_it_reports_a_bad_union_value_once_on_its_key():
    lines = problems("""\
        agreements:
          - {id: A-1, party: A, role: customer, currency: EUR, timezone: UTC, valid_from: 2025-01-01, commitments: [
              {id: d, type: deadline, title: t, kind: attestation,
               due: someday}]}
        """)
    assert lines == ["agreements.yaml:4: due: Enter a date or a timestamp with offset."]


def test_it_refuses_the_same_agreement_id_twice():
    one = "  - {id: A-1, party: A, role: customer, currency: EUR, timezone: UTC, valid_from: 2025-01-01, commitments: []}\n"
    assert problems("agreements:\n" + one + one) == [
        "agreements.yaml:3: id: The agreement id A-1 is used twice (first on line 2)."]


def test_it_refuses_a_key_given_twice():
    assert problems("""\
        agreements:
          - id: A-1
            id: A-2
        """)[0:1] == ["agreements.yaml:2: party: Required."]
    assert "agreements.yaml:3: id: The key appears twice; the first one would be lost." in problems(
        "agreements:\n  - id: A-1\n    id: A-2\n")


def test_it_reports_yaml_syntax_errors_with_their_line():
    [line] = problems("agreements:\n  - id: [\n")
    assert line.startswith("agreements.yaml:3: Not valid YAML: ")


def test_it_needs_a_list_of_agreements():
    assert problems("") == ["agreements.yaml:1: agreements: The file must hold a list under the key agreements."]
    assert problems("agreements: 3\n") == ["agreements.yaml:1: agreements: Enter a list."]


def test_a_type_that_needs_products_says_so():
    lines = problems("""\
        agreements:
          - {id: A-1, party: A, role: customer, currency: EUR, timezone: UTC, valid_from: 2025-01-01, commitments: [
              {id: p, type: conditional_price, title: t, price: 9, volume: 100}]}
        """)
    assert lines == ["agreements.yaml:3: products: This type needs the products it applies to."]


VERSIONED = """\
    agreements:
      - id: A-1
        party: A
        role: customer
        currency: EUR
        timezone: Europe/Amsterdam
        valid_from: 2025-01-01
        versions:
          - number: 1
            effective_from: 2025-01-01
            summary: First version.
            agreed_how: signed
            commitments:
              - {id: updates, type: recurring, title: Update every two weeks, kind: update, every: P14D}
              - {id: review, type: deadline, title: Price review, kind: attestation, due: 2025-06-30}
          - number: 2
            effective_from: 2025-07-01
            summary: Weekly updates; the price review is gone; a call before deliveries.
            reason: The customer asked.
            agreed_by: Mr. A
        commitments:
          - {id: updates, type: recurring, title: Update every week, kind: update, every: P7D}
          - {id: call, type: notice_before_delivery, title: Call first, min_before: PT1H}
    """


def test_it_reads_the_version_history():
    [doc] = parse(VERSIONED)
    v1, v2 = doc.versions
    assert (v1.number, v1.effective_from, v1.agreed_how, [c.id for c in v1.commitments]) == (
        1, dt.date(2025, 1, 1), "signed", ["updates", "review"])
    # The latest version's commitments are the agreement's.
    assert (v2.number, v2.reason, v2.agreed_by, v2.commitments) == (2, "The customer asked.", "Mr. A", doc.commitments)


def test_specs_follow_the_versions():
    specs = {s.commitment: s for s in docs_to_specs(parse(VERSIONED))}
    assert list(specs) == ["updates", "call", "review"]
    updates = specs["updates"].segments
    assert [(s.version, s.effective_from, s.params.every) for s in updates] == [
        (1, dt.date(2025, 1, 1), dt.timedelta(days=14)), (2, dt.date(2025, 7, 1), dt.timedelta(days=7))]
    review = specs["review"].segments
    assert [(s.version, s.removed) for s in review] == [(1, False), (2, True)]
    # Added by version 2: it applies from that version's date on.
    [call] = specs["call"].segments
    assert (call.version, call.valid_from) == (2, dt.date(2025, 7, 1))


def test_the_latest_version_may_repeat_the_commitments_but_not_differently():
    text = VERSIONED.replace(
        "            agreed_by: Mr. A\n",
        "            agreed_by: Mr. A\n"
        "            commitments:\n"
        "              - {id: updates, type: recurring, title: Update every week, kind: update, every: P30D}\n"
        "              - {id: call, type: notice_before_delivery, title: Call first, min_before: PT1H}\n")
    assert problems(text) == [
        "agreements.yaml:21: commitments: The latest version's commitments differ from the agreement's commitments; "
        "they must read the same (or leave them out of the latest version)."]
    same = text.replace("every: P30D", "every: P7D")
    assert len(parse(same)[0].versions) == 2


def test_versions_go_forward():
    text = VERSIONED.replace("number: 2", "number: 1").replace("effective_from: 2025-07-01", "effective_from: 2024-07-01")
    assert problems(text) == [
        "agreements.yaml:16: number: Versions must be listed oldest first with increasing numbers.",
        "agreements.yaml:17: effective_from: A version cannot take effect before the version it amends.",
    ]


def test_a_commitment_keeps_its_type_through_the_versions():
    text = VERSIONED.replace("{id: review, type: deadline, title: Price review, kind: attestation, due: 2025-06-30}",
                             "{id: call, type: deadline, title: Price review, kind: attestation, due: 2025-06-30}")
    assert problems(text) == [
        "agreements.yaml:23: type: A commitment cannot change its type between versions; give the new one another id."]


def test_drafts_are_not_evaluated():
    text = SECTION_4.replace("valid_to: 2025-12-31", "valid_to: 2025-12-31\n        status: draft")
    assert docs_to_specs(parse(text)) == []
    [spec] = docs_to_specs(parse(SECTION_4))
    assert (spec.agreement, spec.party, spec.role, spec.country, spec.commitment) == (
        "ALFKI-2025", "ALFKI", "customer", "NL", "call-ahead")
    assert spec.waivers == frozenset() and spec.pauses == ()


def test_the_complete_example_of_the_docs_reads():
    docs = Path(__file__).resolve().parents[3] / "docs" / "agreement-files.md"
    block = re.search(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S).group(1)
    [doc] = parse_agreements(block, "agreement-files.md")
    assert [c.id for c in doc.commitments] == ["call-ahead"]
    assert [v.number for v in doc.versions] == [1, 2] and doc.versions[1].commitments == doc.commitments
    assert (doc.notes[0].participants, doc.contacts[0].name) == ("Olav, Maria Anders", "Maria Anders")
