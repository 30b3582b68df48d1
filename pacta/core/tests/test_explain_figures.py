import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from django.utils import translation

from pacta.core.commitments._explain import Figures, LazyArgs

VALUES = ["1234567.885", "-0.004", "100", "123456.5", "-2.675", "999.995", "-1234.5", "0.125"]


def column(values):
    return pl.DataFrame({"x": pl.Series([Decimal(v) for v in values], dtype=pl.Decimal(38, 6))})


@pytest.mark.parametrize("language", ["en", "nl", "de", "nb"])
def test_the_column_wise_figures_read_like_the_python_ones(language):
    with translation.override(language):
        figures = Figures()
        frame = column(VALUES)
        money = frame.select(figures.money_expr(pl.col("x"), "EUR")).to_series().to_list()
        whole = frame.select(figures.number_expr(pl.col("x"), 0)).to_series().to_list()
        assert money == [figures.money(Decimal(v), "EUR") for v in VALUES]
        assert whole == [figures.number(Decimal(v), 0) for v in VALUES]


def test_money_is_rounded_half_up_with_grouped_thousands():
    with translation.override("en"):
        figures = Figures()
        assert column(["1234567.885", "0.125", "-2.675"]).select(
            figures.money_expr(pl.col("x"), "EUR")).to_series().to_list() == ["1,234,567.89 EUR", "0.13 EUR",
                                                                             "-2.68 EUR"]
    with translation.override("nl"):
        assert Figures().money(Decimal("1234567.885"), "EUR") == "1.234.567,89 EUR"


def test_unit_prices_keep_up_to_two_more_decimals_and_each_currency_its_own():
    frame = pl.DataFrame({"x": pl.Series([Decimal("9.994"), Decimal("10"), Decimal("5")], dtype=pl.Decimal(38, 6)),
                          "c": ["EUR", "EUR", "JPY"]})
    with translation.override("en"):
        got = frame.select(Figures().money_of_expr(pl.col("x"), pl.col("c"), ["EUR", "JPY"], unit_price=True))
    assert got.to_series().to_list() == ["9.994 EUR", "10.00 EUR", "5 JPY"]


def test_a_sentence_fills_its_placeholders_column_wise_and_keeps_percent_signs():
    frame = pl.DataFrame({"a": ["X", "Y"], "d": [dt.date(2025, 3, 1), dt.date(2025, 12, 31)]})
    with translation.override("en"):
        figures = Figures()
        dates = figures.dates(frame["d"])
        got = frame.select(figures.sentence_expr("%(a)s is 10%% off on %(d)s.", {
            "a": pl.col("a"), "d": figures.date_expr(pl.col("d"), dates)})).to_series().to_list()
    assert got == ["X is 10% off on March 1, 2025.", "Y is 10% off on Dec. 31, 2025."]


def test_a_plural_sentence_takes_the_form_of_its_count():
    frame = pl.DataFrame({"n": [1, 2]})

    def forms(n):
        return "%(n)s day" if n == 1 else "%(n)s days"

    got = frame.select(Figures().plural_expr(forms, pl.col("n"), {"n": pl.col("n").cast(pl.Utf8)}))
    assert got.to_series().to_list() == ["1 day", "2 days"]


def test_lazy_arguments_are_made_only_when_used():
    made = []
    args = LazyArgs(used=lambda: made.append("used") or "A", unused=lambda: made.append("unused") or "B")
    assert "%(used)s!" % args == "A!"
    assert made == ["used"]
