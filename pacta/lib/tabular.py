"""Spreadsheet cells that cannot run: formula injection neutralised in exports.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
taken for a formula by Excel and LibreOffice; a customer's name or an order
reference typed as `=HYPERLINK(…)` would run on the reader's machine. Such text
is written with a leading `'` (OWASP's advice). Numbers stay numbers: a
negative amount is data, not a formula.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with `'` put before text that a spreadsheet would read as a formula.

    Numbers, dates, booleans and None come back as they are; any other object
    (a lazy translation, a model) is written as its text, so it is checked as text."""
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_text_columns(frame: pl.DataFrame, numbers: tuple[str, ...] | list[str] = ()) -> pl.DataFrame:
    """`frame` with `safe_cell` applied to every text column except those named in `numbers`
    (numbers written as text, which must stay readable as numbers)."""
    starts = "^[" + "".join("\\-" if c == "-" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.Utf8 and name not in numbers
    )
