"""Numbers, money and times in the reader's language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from pacta.front.formatting import duration_words, money, number, relative_day, relative_moment


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "€1,234.56"),
    ("nl", "1.234,56\u00a0€"),
    ("de", "1.234,56\u00a0€"),
    ("nb", "1\u00a0234,56\u00a0€"),
])
def test_money_is_written_as_the_language_writes_it(lang, expected):
    with translation.override(lang):
        assert money("1234.555", "EUR") == expected  # 1234.555 rounded half-up is 1234.56


def test_money_keeps_the_currency_code_when_it_has_no_sign():
    with translation.override("nl"):
        assert money(Decimal("-12.5"), "CHF") == "-12,50\u00a0CHF"


def test_a_currency_without_minor_unit_has_no_decimals():
    with translation.override("en"):
        assert money("1500.5", "JPY") == "¥1,501"


def test_numbers_are_grouped_and_whole_numbers_lose_their_zeros():
    with translation.override("de"):
        assert number(Decimal("10000.000000")) == "10.000"
        assert number("2.5") == "2,5"


def test_relative_days():
    today = dt.date(2025, 3, 10)
    assert relative_day(dt.date(2025, 3, 13), today) == "in 3 days"
    assert relative_day(dt.date(2025, 3, 9), today) == "yesterday"
    assert relative_day(dt.date(2025, 3, 10), today) == "today"
    assert relative_day(dt.date(2025, 2, 28), today) == "10 days ago"


def test_relative_moments():
    now = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
    assert relative_moment(now + dt.timedelta(hours=3, minutes=20), now) == "in 3 hours"
    assert relative_moment(now - dt.timedelta(minutes=5), now) == "5 minutes ago"
    assert relative_moment(now - dt.timedelta(days=2, hours=5), now) == "2 days ago"


def test_durations_in_words():
    assert duration_words(dt.timedelta(hours=1)) == "1 hour"
    assert duration_words(dt.timedelta(days=14)) == "14 days"
    assert duration_words(dt.timedelta(days=1, hours=2, minutes=30)) == "1 day, 2 hours, 30 minutes"
