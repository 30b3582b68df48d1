"""The parameter forms generated from each commitment type's schema."""

import pytest
from django.http import QueryDict
from django.utils import translation

from pacta.core.commitments import REGISTRY, validate_params
from pacta.front.params_forms import CHOICE_LABELS, describe_params, params_form, texts_for, type_specs

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]

# For every type: a good example (form inputs without the "p-" prefix) and a
# bad one with the input that must show the error.
EXAMPLES = {
    "agreed_price": ({"price": "9.50", "tolerance": "0.005"}, {"price": "-1"}, "price"),
    "conditional_price": (
        {"price": "8", "volume": "5000", "period": "year", "align": "calendar", "basis": "invoice"},
        {"price": "8", "volume": "0", "period": "year", "align": "calendar", "basis": "invoice"}, "volume",
    ),
    "deadline": (
        {"kind": "attestation", "due": "2025-06-30", "remind_before": "P14D"},
        {"kind": "attestation", "due": "30/06/2025"}, "due",
    ),
    "delivery_window": (
        {"weekdays": ["mon", "tue"], "from": "07:00", "to": "12:00"},
        {"weekdays": ["mon"], "from": "07:00", "to": "12:00", "timezone": "Mars/Olympus"}, "timezone",
    ),
    "notice_before_delivery": ({"min_before": "PT1H", "max_before": "PT24H"}, {"min_before": "one hour"}, "min_before"),
    "on_time_delivery": (
        {"lead_days": "5", "grace_days": "0", "period": "month", "penalty__use": "on", "penalty__percent": "1",
         "penalty__per_days": "7", "penalty__cap_percent": "10"},
        {"grace_days": "0", "period": "month", "penalty__use": "on", "penalty__percent": "1", "penalty__per_days": "0"},
        "penalty__per_days",
    ),
    "payment_term": ({"days": "30", "from": "end_of_month", "interest_percent": "8"}, {"days": "-3", "from": "invoice_date"},
                     "days"),
    "recurring": ({"kind": "update", "every": "P14D", "warn_before": "P2D"},
                  {"kind": "update", "every": "P14D", "warn_before": "-P1D"}, "warn_before"),
    "response_time": (
        {"within": "PT4H", "period": "month", "business_hours__use": "on", "business_hours__weekdays": WEEKDAYS,
         "business_hours__from": "08:00", "business_hours__to": "17:00", "credits__rows": "2",
         "credits__0__below": "95", "credits__0__percent": "5", "monthly_fee": "1000"},
        # Row 0 is left empty: the schema's error on its first credit belongs to row 1.
        {"within": "PT4H", "period": "month", "credits__rows": "2", "credits__1__below": "95",
         "credits__1__percent": "150", "monthly_fee": "1000"}, "credits__1__percent",
    ),
    "volume_commitment": (
        {"minimum": "10000", "measure": "quantity", "period": "year", "align": "calendar", "basis": "invoice"},
        {"minimum": "lots", "measure": "quantity", "period": "year", "align": "calendar", "basis": "invoice"}, "minimum",
    ),
    "volume_rebate": (
        {"tiers__rows": "3", "tiers__0__from": "10000", "tiers__0__rate": "1", "tiers__1__from": "50000",
         "tiers__1__rate": "2", "measure": "amount", "mode": "whole", "payout_days": "30", "period": "year",
         "align": "calendar", "basis": "invoice"},
        {"tiers__rows": "2", "tiers__0__from": "10000", "tiers__0__rate": "1", "tiers__1__from": "50000",
         "tiers__1__rate": "500", "measure": "amount", "mode": "whole", "payout_days": "30", "period": "year",
         "align": "calendar", "basis": "invoice"}, "tiers__1__rate",
    ),
}


def bind(type_name, values, **kwargs):
    data = QueryDict(mutable=True)
    for key, value in values.items():
        data.setlist("p-" + key, value if isinstance(value, list) else [value])
    return params_form(type_name, data, **kwargs)


def test_there_is_an_example_for_every_type():
    assert set(EXAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("type_name", sorted(EXAMPLES))
def test_the_generated_form_accepts_a_good_example(type_name):
    form = bind(type_name, EXAMPLES[type_name][0])
    assert form.is_valid(), form.errors
    params, errors = validate_params(type_name, form.params)
    assert errors == []


@pytest.mark.parametrize("type_name", sorted(EXAMPLES))
def test_the_generated_form_shows_the_error_next_to_the_wrong_input(type_name):
    _good, bad, field = EXAMPLES[type_name]
    form = bind(type_name, bad)
    assert not form.is_valid()
    assert field in form.errors, form.errors
    # Nothing typed is lost: the wrong value is still in its input.
    assert form[field].value() == bad[field]


def test_a_cross_field_error_is_shown_next_to_the_field_it_names():
    form = bind("volume_commitment", {"measure": "quantity", "period": "year", "align": "calendar", "basis": "invoice"})
    assert not form.is_valid()
    assert form.errors["minimum"] == ["Give a minimum, a maximum or both."]
    assert form.non_field_errors() == []


def test_an_optional_group_left_off_is_not_part_of_the_parameters():
    values = {**EXAMPLES["on_time_delivery"][0]}
    del values["penalty__use"]
    form = bind("on_time_delivery", values)
    assert form.is_valid(), form.errors
    assert "penalty" not in form.params


def test_empty_table_rows_are_left_out():
    form = bind("volume_rebate", EXAMPLES["volume_rebate"][0])
    assert form.is_valid(), form.errors
    assert [(str(t["from"]), str(t["rate"])) for t in form.params["tiers"]] == [("10000", "1"), ("50000", "2")]


def test_add_row_gives_a_table_one_more_row_and_keeps_the_others():
    form = bind("volume_rebate", EXAMPLES["volume_rebate"][0], add_row="tiers")
    assert form.rows["tiers"] == 4
    assert form["tiers__0__from"].value() == "10000"
    assert form["tiers__3__from"].value() in (None, "")


def test_numbers_are_read_in_the_readers_language():
    with translation.override("nl"):
        form = bind("agreed_price", {"price": "1234,5", "tolerance": "0,01"})
        assert form.is_valid(), form.errors
    assert str(form.params["price"]) == "1234.5"


def test_a_stored_commitment_fills_the_form_including_its_defaults():
    form = params_form("volume_rebate", initial_params={"tiers": [{"from": "10000", "rate": "1"}], "mode": "marginal"})
    assert form.rows["tiers"] == 2  # the stored tier and an empty one to add another
    assert str(form["tiers__0__from"].value()) == "10000"
    assert form["mode"].value() == "marginal"
    assert form["payout_days"].value() == 30  # not stored: it is the default


def test_a_stored_optional_group_is_ticked():
    form = params_form("response_time", initial_params={"within": "PT4H", "business_hours": {}})
    assert form["business_hours__use"].value() is True
    assert form["business_hours__weekdays"].value() == WEEKDAYS


def test_every_parameter_of_every_type_has_a_translatable_label_and_help():
    def walk(model, specs):
        for spec in specs:
            assert texts_for(model, spec.key) is not None, f"{model.__name__}.{spec.key}"
            for value in spec.choices:
                assert value in CHOICE_LABELS, f"{model.__name__}.{spec.key} = {value}"
            if spec.children:
                inner = model.model_fields[_python_name(model, spec.key)].annotation
                walk(_inner_model(inner), spec.children)

    for name, ctype in REGISTRY.items():
        walk(ctype.Params, type_specs(name))


def _python_name(model, key):
    return next(n for n, f in model.model_fields.items() if (f.alias or n) == key)


def _inner_model(annotation):
    from typing import get_args

    from pydantic import BaseModel

    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
        stack.extend(get_args(a))
    raise AssertionError(annotation)


def test_stored_terms_read_in_words():
    rows = describe_params("on_time_delivery", {"lead_days": 5, "penalty": {"percent": "1.5", "per_days": 7}})
    by_label = {str(r["label"]): r for r in rows}
    assert by_label["Lead time (days)"]["value"] == "5"
    assert by_label["Period"]["value"] == "month"  # the default, shown so that every rule is visible
    penalty = {str(r["label"]): r["value"] for r in by_label["Penalty"]["group"]}
    assert penalty["Percent"] == "1.5"
    assert penalty["Started days count"] == "no"


def test_durations_read_in_words_beside_their_iso_form():
    rows = describe_params("notice_before_delivery", {"min_before": "PT1H", "max_before": "P1DT2H"})
    assert [r["value"] for r in rows] == ["1 hour (PT1H)", "1 day, 2 hours (P1DT2H)"]


def test_terms_of_a_type_the_registry_no_longer_knows_are_shown_as_stored():
    assert describe_params("telepathy", {"range": "5 km"}) == [{"label": "range", "value": "5 km"}]
