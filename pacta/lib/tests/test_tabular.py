"""Exported cells cannot run as formulas (pacta.lib.tabular)."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from django.utils.translation import gettext_lazy

from pacta.lib.tabular import safe_cell, safe_text_columns


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_a_spreadsheet_would_run_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Alfreds Futterkiste", "10248", "", "a=b", " =1", "'=1"])
def test_other_text_is_left_alone(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [Decimal("-12.50"), -3, -0.5, True, None, dt.date(2025, 3, 10)])
def test_numbers_and_dates_stay_what_they_are(value):
    assert safe_cell(value) is value


def test_other_objects_are_checked_as_their_text():
    assert safe_cell(gettext_lazy("=1+1")) == "'=1+1"


def test_a_frames_text_columns_are_neutralised_but_its_numbers_are_not():
    frame = pl.DataFrame({"ref": ["=cmd|' /C calc'!A0", "10248"], "quantity": ["-5", "3"], "n": [-1, 2]})
    safe = safe_text_columns(frame, numbers=("quantity",))
    assert safe.to_dicts() == [{"ref": "'=cmd|' /C calc'!A0", "quantity": "-5", "n": -1},
                               {"ref": "10248", "quantity": "3", "n": 2}]
