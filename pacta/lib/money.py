"""Money: an exact `Decimal` amount with its currency.

Amounts are computed exactly and rounded half-up to the currency's minor unit
only at the end (`Money.rounded`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units that differ from 2.
_MINOR_UNITS = {
    "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "XOF": 0, "XAF": 0, "HUF": 2,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3,
}


def minor_unit(currency: str) -> int:
    """Number of decimals of `currency` (2 unless ISO 4217 says otherwise)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_decimal(value) -> Decimal:
    """Convert a string, int or Decimal to Decimal; floats are refused (they are inexact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money and quantities are never floats; pass a string or Decimal")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    exp = Decimal(1).scaleb(-minor_unit(currency))
    return amount.quantize(exp, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))
        if len(self.currency) != 3:
            raise ValueError(f"currency must be a 3-letter ISO code, not {self.currency!r}")

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    @property
    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{round_money(self.amount, self.currency)} {self.currency}"

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)
