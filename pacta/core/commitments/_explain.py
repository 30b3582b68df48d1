"""Numbers, money, dates and sentences for explanations, in the active language.

Explanations are built for every instance of every commitment, so this
formatter reads the locale's separators once per batch instead of once per
number (Django's `number_format` is correct but slow in bulk) and looks each
message up once per batch (`say`). Messages are marked with `gettext_noop` at
the call site so that makemessages finds them.

For types with many instances (an invoice, a line) the same sentences are
also built column-wise as polars expressions (`*_expr`), with the same
rounding (half-up) and the same separators.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import polars as pl
from django.utils import formats
from django.utils.translation import get_language, gettext, gettext_noop

from pacta.lib.money import minor_unit, round_money


_CENT = Decimal("0.01")


@lru_cache(maxsize=4096)
def _date(day: dt.date, language: str | None) -> str:
    return formats.date_format(day, "DATE_FORMAT")


class LazyArgs(dict):
    """Arguments for `Figures.say` computed only when the chosen sentence uses
    them: `LazyArgs(rebate=lambda: figures.money(...))`."""

    def __init__(self, **makers):
        super().__init__()
        self._makers = makers

    def __missing__(self, key: str) -> str:
        value = self[key] = self._makers[key]()
        return value


class Figures:
    """Formats figures the way the active language writes them."""

    def __init__(self) -> None:
        self.language = get_language()
        self._messages: dict[str, str] = {}
        self._measures: dict[tuple, str] = {}
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.decimals = formats.get_format("DECIMAL_SEPARATOR")
        self._table = str.maketrans({",": self.thousands, ".": self.decimals})

    def say(self, message: str, args: dict[str, str] | None = None) -> str:
        """`message` (marked with gettext_noop) translated, with `args` filled in."""
        text = self._messages.get(message)
        if text is None:
            text = self._messages[message] = gettext(message)
        return text % args if args is not None else text

    def number(self, value: Decimal | int, places: int | None = None) -> str:
        """`value` with grouped thousands; `places` decimals (None: up to 2, trailing zeros dropped)."""
        rounded = Decimal(value).quantize(_CENT if places is None else Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if not rounded:
            rounded = abs(rounded)  # no "-0"
        text = f"{rounded:,f}"
        if places is None and text.endswith("0") and "." in text:
            text = text[:-3] if text.endswith(".00") else text[:-1]
        return text.translate(self._table)

    def money(self, amount: Decimal, currency: str) -> str:
        """"1,234.56 EUR", rounded half-up to the currency's minor unit."""
        return f"{self.number(round_money(amount, currency), minor_unit(currency))} {currency}"

    def units(self, quantity: Decimal, places: int | None = None) -> str:
        return self.say(gettext_noop("%(number)s units"), {"number": self.number(quantity, places)})

    def measure(self, value: Decimal, measure: str, currency: str, *, estimate: bool = False) -> str:
        """A volume in its measure: units for quantities, money for amounts.
        An `estimate` (a forecast) is shown in whole units."""
        key = (value, measure, currency, estimate)
        text = self._measures.get(key)
        if text is None:  # bounds repeat across periods and commitments: format them once
            text = self.money(value, currency) if measure == "amount" else self.units(value, 0 if estimate else None)
            self._measures[key] = text
        return text

    def date(self, day: dt.date) -> str:
        return _date(day, self.language)


    # -- column-wise --

    def number_expr(self, value: pl.Expr, places: int, keep: int | None = None) -> pl.Expr:
        """Polars twin of `number(value, places)` for a Decimal column: half-up,
        grouped thousands. With `keep`, trailing zeros of the decimals are
        dropped down to `keep` decimals (a unit price 9.9940 shows as 9.994)."""
        rounded = value.round(places, mode="half_away_from_zero").cast(pl.Decimal(38, places))
        text = rounded.abs().cast(pl.Utf8)
        whole = text.str.split(".").list.first()
        # Group from the right: reverse, cut into threes, reverse back.
        grouped = (whole.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_suffix(",").str.reverse()
                   .str.replace_all(",", self.thousands, literal=True))
        if places:
            fraction = text.str.split(".").list.last()
            if keep is not None:
                fraction = fraction.str.replace(r"^(\d{%d}\d*?)0+$" % keep, "${1}")
            with_fraction = pl.concat_str([grouped, pl.lit(self.decimals), fraction])
            grouped = pl.when(fraction == "").then(grouped).otherwise(with_fraction)
        return pl.when(rounded < 0).then(pl.concat_str([pl.lit("-"), grouped])).otherwise(grouped)

    def money_expr(self, amount: pl.Expr, currency: str) -> pl.Expr:
        """Polars twin of `money(amount, currency)`."""
        return pl.concat_str([self.number_expr(amount, minor_unit(currency)), pl.lit(" " + currency)])

    def money_of_expr(self, amount: pl.Expr, currency: pl.Expr, currencies: Iterable[str], *,
                      unit_price: bool = False) -> pl.Expr:
        """`money_expr` with the currency taken from a text column whose values
        are among `currencies`. A `unit_price` shows up to two more decimals
        than the currency has, when they are not zero."""
        by_places: dict[int, list[str]] = {}
        for code in sorted(set(currencies)):
            by_places.setdefault(minor_unit(code), []).append(code)
        expr = pl.when(pl.lit(False)).then(pl.lit(None, pl.Utf8))
        for places, codes in by_places.items():
            number = (self.number_expr(amount, places + 2, keep=places) if unit_price
                      else self.number_expr(amount, places))
            text = pl.concat_str([number, pl.lit(" "), currency])
            expr = expr.when(currency.is_in(codes)).then(text)
        return expr.otherwise(None)

    def dates(self, days: Iterable[dt.date | None]) -> dict[dt.date, str]:
        """The given days formatted, for `date_expr`."""
        return {d: self.date(d) for d in set(days) if d is not None}

    def date_expr(self, day: pl.Expr, formatted: dict[dt.date, str]) -> pl.Expr:
        """The formatted text of each day (every day must be in `formatted`, see `dates`)."""
        return day.replace_strict(formatted, default=None, return_dtype=pl.Utf8)

    def sentence_expr(self, message: str, args: dict[str, pl.Expr]) -> pl.Expr:
        """Polars twin of `say(message, args)`: the translated message with each
        %(name)s replaced by the text column `args[name]`."""
        return _fill(self.say(message), args)

    def plural_expr(self, forms: Callable[[int], str], count: pl.Expr, args: dict[str, pl.Expr]) -> pl.Expr:
        """A sentence whose wording depends on `count`: `forms(n)` returns the
        translated message for n (an `ngettext` call, so makemessages finds
        both forms). Our languages (en, nl, de, nb) have one form for 1 and
        one for every other number."""
        return pl.when(count == 1).then(_fill(forms(1), args)).otherwise(_fill(forms(2), args))


def _fill(text: str, args: dict[str, pl.Expr]) -> pl.Expr:
    pieces = _PLACEHOLDER.split(text)
    parts = []
    for i, piece in enumerate(pieces):
        if i % 2:
            parts.append(args[piece])
        elif piece:
            parts.append(pl.lit(piece.replace("%%", "%")))
    return pl.concat_str(parts)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

__all__ = ["Figures", "LazyArgs"]
