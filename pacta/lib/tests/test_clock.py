"""The domain clock and its as-of override."""

import datetime as dt

import pytest
import time_machine

from pacta.lib import clock

REAL = dt.datetime(2025, 3, 10, 11, 0, tzinfo=dt.timezone.utc)
DEMO = dt.datetime.fromisoformat("1998-05-06T18:00:00+02:00")


@time_machine.travel(REAL, tick=False)
def test_without_an_override_the_clock_is_the_real_time(settings, monkeypatch):
    settings.PACTA_CLOCK = None
    monkeypatch.delenv("PACTA_CLOCK", raising=False)
    assert clock.now() == REAL
    assert not clock.is_overridden()


@time_machine.travel(REAL, tick=False)
def test_the_setting_fixes_the_clock_for_the_installation(settings):
    settings.PACTA_CLOCK = "1998-05-06T18:00:00+02:00"
    assert clock.now() == DEMO
    assert clock.is_overridden()


@time_machine.travel(REAL, tick=False)
def test_the_environment_variable_works_without_the_setting(settings, monkeypatch):
    settings.PACTA_CLOCK = None
    monkeypatch.setenv("PACTA_CLOCK", "1998-05-06T18:00:00+02:00")
    assert clock.now() == DEMO


@time_machine.travel(REAL, tick=False)
def test_a_process_override_wins_and_ends_with_its_block(settings, monkeypatch):
    settings.PACTA_CLOCK = None
    monkeypatch.delenv("PACTA_CLOCK", raising=False)
    with clock.override(DEMO):
        assert clock.now() == DEMO
    assert clock.now() == REAL
    with clock.as_of(None):
        assert clock.now() == REAL


def test_a_date_means_its_first_moment_in_the_servers_time_zone():
    # Europe/Amsterdam is on summer time (+02:00) in May.
    assert clock.parse_moment("1998-05-06") == DEMO.replace(hour=0)


@pytest.mark.parametrize("text", ["1998-05-06T18:00", "yesterday", "06.05.1998"])
def test_a_moment_must_be_iso_with_an_offset(text):
    with pytest.raises(ValueError):
        clock.parse_moment(text)


def test_local_today_reads_the_date_where_the_person_is():
    late = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.timezone.utc)
    assert clock.local_today("Europe/Berlin", late) == dt.date(2025, 3, 11)
    assert clock.local_today("America/New_York", late) == dt.date(2025, 3, 10)
    assert clock.local_today("Not/AZone", late) == dt.date(2025, 3, 11)  # the server's zone, Amsterdam
