import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from pacta.lib.periods import (
    add_months,
    clip,
    elapsed_fraction,
    elapsed_time,
    forecast,
    period_label,
    period_of,
    period_start_expr,
    periods_between,
)

D = dt.date


def test_calendar_periods_hold_the_day_with_an_exclusive_end():
    assert period_of(D(2025, 5, 17), "year") == (D(2025, 1, 1), D(2026, 1, 1))
    assert period_of(D(2025, 5, 17), "quarter") == (D(2025, 4, 1), D(2025, 7, 1))
    assert period_of(D(2025, 12, 31), "quarter") == (D(2025, 10, 1), D(2026, 1, 1))
    assert period_of(D(2025, 5, 17), "month") == (D(2025, 5, 1), D(2025, 6, 1))
    # 17 May 2025 is a Saturday; its ISO week runs Monday 12 May to Sunday 18 May.
    assert period_of(D(2025, 5, 17), "week") == (D(2025, 5, 12), D(2025, 5, 19))


def test_a_leap_year_and_its_february_have_their_extra_day():
    start, end = period_of(D(2024, 2, 29), "month")
    assert (start, end) == (D(2024, 2, 1), D(2024, 3, 1))
    assert (end - start).days == 29
    start, end = period_of(D(2024, 7, 1), "year")
    assert (end - start).days == 366


def test_a_week_can_span_the_turn_of_the_year():
    # 1 January 2025 is a Wednesday: ISO week 2025-W01 starts Monday 30 December 2024.
    start, end = period_of(D(2025, 1, 1), "week")
    assert (start, end) == (D(2024, 12, 30), D(2025, 1, 6))
    assert period_label(start, "week") == "2025-W01"


def test_agreement_periods_count_from_the_anchor():
    anchor = D(2025, 3, 15)
    assert period_of(D(2025, 3, 15), "year", "agreement", anchor) == (D(2025, 3, 15), D(2026, 3, 15))
    assert period_of(D(2026, 3, 14), "year", "agreement", anchor) == (D(2025, 3, 15), D(2026, 3, 15))
    assert period_of(D(2026, 3, 15), "year", "agreement", anchor) == (D(2026, 3, 15), D(2027, 3, 15))
    assert period_of(D(2025, 6, 14), "quarter", "agreement", anchor) == (D(2025, 3, 15), D(2025, 6, 15))
    assert period_of(D(2025, 3, 28), "week", "agreement", anchor) == (D(2025, 3, 22), D(2025, 3, 29))


def test_agreement_months_from_the_31st_are_clamped_but_do_not_drift():
    anchor = D(2025, 1, 31)
    assert period_of(D(2025, 2, 27), "month", "agreement", anchor) == (D(2025, 1, 31), D(2025, 2, 28))
    assert period_of(D(2025, 3, 30), "month", "agreement", anchor) == (D(2025, 2, 28), D(2025, 3, 31))
    assert period_of(D(2025, 3, 31), "month", "agreement", anchor) == (D(2025, 3, 31), D(2025, 4, 30))
    # A leap-year anchor: 29 February 2024 yearly gives 28 February 2025, then 29 February 2028.
    assert period_of(D(2025, 3, 1), "year", "agreement", D(2024, 2, 29)) == (D(2025, 2, 28), D(2026, 2, 28))
    assert add_months(D(2024, 2, 29), 48) == D(2028, 2, 29)


def test_days_before_the_anchor_fall_into_periods_counted_backwards():
    anchor = D(2025, 3, 15)
    assert period_of(D(2025, 3, 14), "month", "agreement", anchor) == (D(2025, 2, 15), D(2025, 3, 15))
    assert period_of(D(2025, 3, 14), "week", "agreement", anchor) == (D(2025, 3, 8), D(2025, 3, 15))


def test_agreement_periods_need_an_anchor():
    with pytest.raises(ValueError):
        period_of(D(2025, 1, 1), "month", "agreement")


def test_periods_between_lists_every_period_touched_oldest_first():
    got = periods_between(D(2025, 2, 10), D(2025, 7, 1), "quarter")
    assert got == [(D(2025, 1, 1), D(2025, 4, 1)), (D(2025, 4, 1), D(2025, 7, 1)), (D(2025, 7, 1), D(2025, 10, 1))]
    assert periods_between(D(2025, 2, 10), D(2025, 2, 9), "month") == []


def test_clip_cuts_a_period_to_the_validity_days():
    assert clip((D(2025, 1, 1), D(2026, 1, 1)), D(2025, 3, 15), D(2025, 9, 30)) == (D(2025, 3, 15), D(2025, 10, 1))
    assert clip((D(2025, 1, 1), D(2026, 1, 1)), D(2024, 1, 1), None) == (D(2025, 1, 1), D(2026, 1, 1))


def test_labels_name_the_period():
    assert period_label(D(2025, 1, 1), "year") == "2025"
    assert period_label(D(2025, 10, 1), "quarter") == "2025-Q4"
    assert period_label(D(2025, 3, 1), "month") == "2025-03"
    assert period_label(D(2025, 3, 15), "month", "agreement") == "2025-03-15"


def test_elapsed_fraction_is_local_wall_clock_days():
    tz = "Europe/Amsterdam"
    # Local midnight of 1 July 2025 (CEST, +02:00): 181 of 365 days, daylight saving notwithstanding.
    moment = dt.datetime(2025, 6, 30, 22, 0, tzinfo=dt.timezone.utc)
    assert elapsed_fraction(D(2025, 1, 1), D(2026, 1, 1), moment, tz) == Decimal(181) / Decimal(365)
    # Noon of 15 February 2024 in a leap year: 45.5 of 366 days.
    noon = dt.datetime(2024, 2, 15, 11, 0, tzinfo=dt.timezone.utc)
    assert elapsed_fraction(D(2024, 1, 1), D(2025, 1, 1), noon, tz) == Decimal("45.5") / Decimal(366)


def test_elapsed_fraction_is_zero_before_and_one_after_the_period():
    tz = "UTC"
    before = dt.datetime(2024, 12, 31, 23, 59, tzinfo=dt.timezone.utc)
    after = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.timezone.utc)
    assert elapsed_fraction(D(2025, 1, 1), D(2026, 1, 1), before, tz) == 0
    assert elapsed_fraction(D(2025, 1, 1), D(2026, 1, 1), after, tz) == 1


def test_forecast_extrapolates_the_pace_to_the_whole_period():
    day = 86_400_000_000
    # 4,100 units after 181 of 365 days: 4,100 x 365 / 181 = 8,267.955...
    assert forecast(Decimal(4100), 181 * day, 365 * day) == Decimal(4100) * 365 / 181
    assert round(forecast(Decimal(4100), 181 * day, 365 * day)) == 8268
    # 300 after 30 of 91 days: exactly 910, no rounding left over from a share.
    assert forecast(Decimal(300), 30 * day, 91 * day) == Decimal(910)
    assert forecast(Decimal(10), 0, 365 * day) is None


def test_elapsed_time_is_whole_microseconds_clamped_to_the_period():
    moment = dt.datetime(2025, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)
    assert elapsed_time(D(2025, 1, 1), D(2025, 2, 1), moment, "UTC") == (1_000_000, 31 * 86_400_000_000)
    assert elapsed_time(D(2025, 2, 1), D(2025, 3, 1), moment, "UTC") == (0, 28 * 86_400_000_000)


DAYS = [D(2023, 12, 31), D(2024, 1, 1), D(2024, 2, 29), D(2024, 3, 14), D(2024, 3, 15), D(2024, 12, 31),
        D(2025, 1, 30), D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 5, 17), D(2026, 1, 4)]


@pytest.mark.parametrize("period", ["year", "quarter", "month", "week"])
@pytest.mark.parametrize("anchor", [None, D(2024, 3, 15), D(2024, 1, 31), D(2024, 2, 29)])
def test_the_polars_expression_agrees_with_period_of(period, anchor):
    align = "calendar" if anchor is None else "agreement"
    frame = pl.DataFrame({"day": DAYS, "anchor": [anchor or D(2000, 1, 1)] * len(DAYS)})
    got = frame.select(period_start_expr(pl.col("day"), period, align, pl.col("anchor") if anchor else None))
    assert got.to_series().to_list() == [period_of(d, period, align, anchor)[0] for d in DAYS]


def test_the_polars_expression_takes_a_literal_anchor():
    frame = pl.DataFrame({"day": [D(2025, 3, 14), D(2025, 3, 15)]})
    got = frame.select(period_start_expr(pl.col("day"), "month", "agreement", D(2025, 1, 15))).to_series().to_list()
    assert got == [D(2025, 2, 15), D(2025, 3, 15)]
