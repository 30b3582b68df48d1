"""Dates the way agreements mean them: business days, lateness, working time, pauses.

The clock is frozen in every test to show that none of these functions reads it.
"""

import datetime as dt

import polars as pl
import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from pacta.lib.dates import (
    UTC,
    WorkingHours,
    add_business_days,
    add_business_days_expr,
    add_duration,
    add_working_time,
    add_working_time_expr,
    days_late,
    days_late_expr,
    end_of_day,
    is_after,
    is_business_day,
    local_date,
    shift_date_for_pauses,
    shift_for_pauses,
    shift_instant_for_pauses,
    tzinfo,
    working_time_between,
    working_time_expr,
)

AMS = "Europe/Amsterdam"
NY = "America/New_York"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(dt.datetime(2030, 6, 1, 12, tzinfo=UTC), tick=False):
        yield


def at(*args, tz=AMS):
    return dt.datetime(*args, tzinfo=tzinfo(tz))


# -- local dates --------------------------------------------------------------


def test_a_date_only_fact_keeps_its_date_in_every_time_zone():
    stored = dt.datetime(2025, 3, 1, tzinfo=UTC)
    assert local_date(stored, True, NY) == dt.date(2025, 3, 1)
    assert local_date(stored, False, NY) == dt.date(2025, 2, 28)


def test_a_date_deadline_ends_at_the_last_microsecond_of_the_local_day():
    assert end_of_day(dt.date(2025, 3, 3), AMS) == at(2025, 3, 3, 23, 59, 59, 999999)


# -- business days ------------------------------------------------------------


def test_a_saturday_is_not_a_business_day_anywhere():
    assert not is_business_day(dt.date(2025, 3, 1), "")
    assert is_business_day(dt.date(2025, 3, 3), "")


@pytest.mark.parametrize("country, day", [
    ("NL", dt.date(2025, 4, 21)),  # Easter Monday
    ("NL", dt.date(2025, 12, 25)),
    ("DE", dt.date(2025, 10, 3)),  # Day of German Unity
    ("NO", dt.date(2025, 5, 17)),  # Constitution Day
    ("BE", dt.date(2025, 7, 21)),  # National Day
    ("GB", dt.date(2025, 5, 5)),  # Early May bank holiday (all of the UK)
    ("US", dt.date(2025, 7, 4)),
])
def test_public_holidays_of_each_country_are_not_business_days(country, day):
    assert not is_business_day(day, country)
    assert is_business_day(day, "") == (day.weekday() < 5)


def test_a_holiday_in_the_middle_of_the_lead_time_adds_a_day():
    # Wednesday 16 April 2025 + 3 business days in NL: Thu 17, (Good Friday 18,
    # weekend, Easter Monday 21), Tue 22, Wed 23.
    assert add_business_days(dt.date(2025, 4, 16), 3, "NL") == dt.date(2025, 4, 23)
    # Without a country only the weekend is skipped: Thu 17, Fri 18, Mon 21.
    assert add_business_days(dt.date(2025, 4, 16), 3, "") == dt.date(2025, 4, 21)


def test_an_order_on_saturday_with_one_business_day_is_due_on_monday():
    assert add_business_days(dt.date(2025, 3, 1), 1, "NL") == dt.date(2025, 3, 3)


def test_zero_business_days_is_the_day_itself_even_on_a_sunday():
    assert add_business_days(dt.date(2025, 3, 2), 0, "NL") == dt.date(2025, 3, 2)


@settings(max_examples=60, deadline=None)
@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)), n=st.integers(0, 40),
       country=st.sampled_from(["", "NL", "DE", "NO", "BE", "GB", "US"]))
def test_the_frame_version_of_business_days_agrees(day, n, country):
    frame = pl.DataFrame({"day": [day], "n": [n]})
    got = frame.select(add_business_days_expr(pl.col("day"), pl.col("n"), country, range(2024, 2028))).item()
    assert got == add_business_days(day, n, country)


# -- lateness -----------------------------------------------------------------


def test_a_date_deadline_is_inclusive_and_counts_calendar_days():
    due = dt.date(2025, 3, 3)
    assert days_late(due, at(2025, 3, 3, 23, 59), AMS) == 0
    assert not is_after(at(2025, 3, 3, 23, 59), due, AMS)
    assert days_late(due, at(2025, 3, 4, 0, 1), AMS) == 1  # one minute into the next day: one day late
    assert is_after(at(2025, 3, 4, 0, 1), due, AMS)
    assert days_late(due, dt.date(2025, 3, 10), AMS) == 7


def test_a_date_deadline_uses_the_local_date_of_the_delivery():
    # 4 March 00:30 in Amsterdam is still 3 March in UTC: it is late in Amsterdam.
    assert days_late(dt.date(2025, 3, 3), dt.datetime(2025, 3, 3, 23, 30, tzinfo=UTC), AMS) == 1


def test_two_instants_count_whole_elapsed_days():
    due = at(2025, 3, 3, 12)
    assert days_late(due, at(2025, 3, 3, 12), AMS) == 0
    assert days_late(due, at(2025, 3, 4, 11, 59), AMS) == 0  # 23h59: no whole day yet
    assert days_late(due, at(2025, 3, 5, 13), AMS) == 2  # 49 hours


def test_with_partial_days_a_started_day_counts_whole():
    due = at(2025, 3, 3, 12)
    assert days_late(due, at(2025, 3, 3, 12, 0, 1), AMS, partial_day_counts=True) == 1
    assert days_late(due, at(2025, 3, 5, 13), AMS, partial_day_counts=True) == 3  # 49 hours: three started days
    assert days_late(due, at(2025, 3, 5, 12), AMS, partial_day_counts=True) == 2  # exactly 48 hours


def test_elapsed_days_over_the_dst_night_are_real_24_hour_periods():
    # Clocks go forward on 30 March 2025: Saturday 12:00 to Sunday 12:00 is 23 hours.
    assert days_late(at(2025, 3, 29, 12), at(2025, 3, 30, 12), AMS) == 0
    assert days_late(at(2025, 3, 29, 12), at(2025, 3, 30, 13), AMS) == 1


def test_an_early_delivery_is_never_negative_days_late():
    assert days_late(dt.date(2025, 3, 3), dt.date(2025, 3, 1), AMS) == 0
    assert days_late(at(2025, 3, 3, 12), at(2025, 3, 1, 12), AMS) == 0


moments = st.one_of(
    st.dates(dt.date(2025, 3, 1), dt.date(2025, 4, 30)),
    st.datetimes(dt.datetime(2025, 3, 1), dt.datetime(2025, 4, 30)).map(lambda d: d.replace(tzinfo=tzinfo(AMS))),
)


def _moment_row(value, tz=AMS):
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC), value.astimezone(tzinfo(tz)).date(), False
    return dt.datetime.combine(value, dt.time(0), UTC), value, True


@settings(max_examples=150, deadline=None)
@given(due=moments, done=moments, partial=st.booleans())
def test_the_frame_version_of_days_late_agrees(due, done, partial):
    rows = [_moment_row(due) + _moment_row(done)]
    frame = pl.DataFrame(rows, schema={"due_at": pl.Datetime("us", "UTC"), "due_day": pl.Date, "due_d": pl.Boolean,
                                       "done_at": pl.Datetime("us", "UTC"), "done_day": pl.Date,
                                       "done_d": pl.Boolean}, orient="row")
    got = frame.select(days_late_expr(*[pl.col(c) for c in frame.columns], partial_day_counts=partial)).item()
    assert got == days_late(due, done, AMS, partial_day_counts=partial)


# -- durations on the local clock --------------------------------------------


def test_whole_days_keep_the_local_time_of_day_over_a_dst_change():
    assert add_duration(at(2025, 3, 29, 9), dt.timedelta(days=1), AMS) == at(2025, 3, 30, 9)


def test_hours_are_real_hours_over_a_dst_change():
    # 01:30 CET + 1 hour = 03:30 CEST (02:30 does not exist that night).
    assert add_duration(at(2025, 3, 30, 1, 30), dt.timedelta(hours=1), AMS) == at(2025, 3, 30, 3, 30)


# -- working time --------------------------------------------------------------

OFFICE = WorkingHours(start=dt.time(8), end=dt.time(17), country="NL")


def test_working_time_inside_one_day():
    assert working_time_between(at(2025, 3, 3, 9), at(2025, 3, 3, 12, 30), OFFICE, AMS) == dt.timedelta(hours=3.5)


def test_working_time_skips_nights_weekends_and_holidays():
    # Thu 17 April 16:00 -> Tue 22 April 09:00: 1h Thursday, Good Friday, weekend,
    # Easter Monday, 1h Tuesday = 2 hours.
    assert working_time_between(at(2025, 4, 17, 16), at(2025, 4, 22, 9), OFFICE, AMS) == dt.timedelta(hours=2)


def test_four_working_hours_from_friday_afternoon_end_on_monday_across_the_dst_night():
    # Fri 28 March 15:00 CET: 2h on Friday, 2h on Monday 31 March (CEST) -> 10:00 CEST.
    deadline = add_working_time(at(2025, 3, 28, 15), dt.timedelta(hours=4), OFFICE, AMS)
    assert deadline == at(2025, 3, 31, 10)
    assert deadline.utcoffset() == dt.timedelta(hours=2)


def test_a_deadline_exactly_at_closing_time_lasts_until_the_next_opening():
    # 13:00 + 4 working hours reaches 17:00; nothing is worked until 08:00 the next
    # working day, so that is still in time.
    deadline = add_working_time(at(2025, 3, 3, 13), dt.timedelta(hours=4), OFFICE, AMS)
    assert deadline == at(2025, 3, 4, 8)
    assert working_time_between(at(2025, 3, 3, 13), deadline, OFFICE, AMS) == dt.timedelta(hours=4)


def test_a_ticket_opened_at_night_starts_counting_at_the_next_opening():
    assert add_working_time(at(2025, 3, 1, 23), dt.timedelta(hours=1), OFFICE, AMS) == at(2025, 3, 3, 9)


@settings(max_examples=120, deadline=None)
@given(start=st.datetimes(dt.datetime(2025, 3, 20), dt.datetime(2025, 4, 30)),
       hours=st.integers(0, 60), minutes=st.sampled_from([0, 1, 30, 59]),
       window=st.sampled_from([(dt.time(8), dt.time(17)), (dt.time(0), dt.time(23, 59)), (dt.time(9, 30), dt.time(12))]),
       weekdays=st.sampled_from([(0, 1, 2, 3, 4), (0, 2, 4, 5), (6,)]))
def test_the_frame_versions_of_working_time_agree(start, hours, minutes, window, weekdays):
    office = WorkingHours(weekdays=weekdays, start=window[0], end=window[1], country="NL")
    begin = start.replace(tzinfo=tzinfo(AMS)).astimezone(UTC)
    duration = dt.timedelta(hours=hours, minutes=minutes)
    frame = pl.DataFrame({"s": [begin], "d": [duration]}, schema={"s": pl.Datetime("us", "UTC"), "d": pl.Duration("us")})
    due = frame.select(add_working_time_expr(pl.col("s"), pl.col("d"), office, AMS, range(2025, 2027))).item()
    assert due == add_working_time(begin, duration, office, AMS)
    between = frame.select(working_time_expr(pl.col("s"), pl.col("s") + pl.col("d"), office, AMS, range(2025, 2027))).item()
    assert between == working_time_between(begin, begin + duration, office, AMS)


# -- pauses ---------------------------------------------------------------------


def test_a_pause_inside_the_span_pushes_the_deadline_by_its_length():
    assert shift_for_pauses(0, 10, [(3, 5)]) == 12


def test_a_pause_before_the_start_or_after_the_deadline_changes_nothing():
    assert shift_for_pauses(10, 20, [(0, 5), (21, 30)]) == 20


def test_a_pause_that_began_before_the_start_counts_from_the_start():
    assert shift_for_pauses(10, 20, [(5, 15)]) == 25


def test_a_pause_across_the_deadline_counts_whole():
    # The clock stops at 8 with 2 left; it runs again at 15: due at 17.
    assert shift_for_pauses(0, 10, [(8, 15)]) == 17


def test_a_pause_in_the_pushed_part_counts_too_and_overlaps_count_once():
    assert shift_for_pauses(0, 10, [(2, 4), (3, 6), (11, 12)]) == 15


def test_a_running_pause_suspends_the_deadline():
    assert shift_for_pauses(0, 10, [(5, None)]) is None
    assert shift_for_pauses(0, 10, [(11, None)]) == 10


def test_a_date_deadline_moves_by_whole_local_days_even_over_the_dst_night():
    # Paused 28 March 00:00 to 31 March 00:00 local (71 real hours over the DST night): three days.
    pause = (at(2025, 3, 28), at(2025, 3, 31))
    assert shift_date_for_pauses(at(2025, 3, 20, 10), dt.date(2025, 4, 1), [pause], AMS) == dt.date(2025, 4, 4)


def test_a_started_paused_day_moves_a_date_deadline_by_a_whole_day():
    pause = (at(2025, 3, 28, 10), at(2025, 3, 28, 14))
    assert shift_date_for_pauses(at(2025, 3, 20, 10), dt.date(2025, 4, 1), [pause], AMS) == dt.date(2025, 4, 2)


def test_an_instant_deadline_moves_by_the_real_paused_time_over_the_dst_night():
    # Paused from Saturday 29 March 12:00 to Sunday 30 March 12:00 local: 23 real hours.
    pause = (at(2025, 3, 29, 12), at(2025, 3, 30, 12))
    shifted = shift_instant_for_pauses(at(2025, 3, 28, 12), at(2025, 4, 1, 12), [pause])
    assert shifted == at(2025, 4, 1, 12) + dt.timedelta(hours=23)


def test_a_negative_duration_goes_back_the_same_way():
    assert add_duration(at(2025, 3, 31, 9), -dt.timedelta(days=2), AMS) == at(2025, 3, 29, 9)  # over the DST night
    assert add_duration(at(2025, 3, 30, 3, 30), -dt.timedelta(hours=1), AMS) == at(2025, 3, 30, 1, 30)


def test_a_local_time_in_the_dst_gap_is_read_as_the_moment_after_it():
    from pacta.lib.dates import localize

    assert localize(dt.datetime(2025, 3, 30, 2, 30), AMS) == at(2025, 3, 30, 3, 30)
    assert localize(dt.datetime(2025, 3, 30, 2, 30), AMS).isoformat() == "2025-03-30T03:30:00+02:00"
