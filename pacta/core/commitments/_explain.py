"""Numbers, money, dates and sentences for explanations, in the active language.

Explanations are built for every instance of every commitment, so this
formatter reads the locale's separators once per batch instead of once per
number (Django's `number_format` is correct but slow in bulk) and looks each
message up once per batch (`say`). Messages are marked with `gettext_noop` at
the call site so that makemessages finds them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.utils import formats
from django.utils.translation import get_language, gettext, gettext_noop

from pacta.lib.money import minor_unit, round_money


_CENT = Decimal("0.01")


@lru_cache(maxsize=4096)
def _date(day: dt.date, language: str | None) -> str:
    return formats.date_format(day, "DATE_FORMAT")


class Figures:
    """Formats figures the way the active language writes them."""

    def __init__(self) -> None:
        self.language = get_language()
        self._messages: dict[str, str] = {}
        self._measures: dict[tuple, str] = {}
        self._table = str.maketrans({",": formats.get_format("THOUSAND_SEPARATOR"),
                                     ".": formats.get_format("DECIMAL_SEPARATOR")})

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


__all__ = ["Figures"]
