"""Numbers, money, durations and moments in the reader's language.

Django localises dates and separators by the active language; these helpers
add what it does not do on its own: money with its currency sign on the side
the language puts it, thousands grouped without a setting, durations in words
and relative times ("in 3 days") to put beside absolute ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pacta.lib import clock
from pacta.lib.money import minor_unit, round_money

CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "NOK": "kr", "SEK": "kr", "DKK": "kr", "JPY": "¥"}
# Languages that write the sign before the amount ("€1,234.56"); the others
# write it after, separated by a space ("1.234,56 €", "1 234,56 kr").
SIGN_FIRST = {"en"}


def to_decimal(value) -> Decimal | None:
    """A Decimal from a Decimal, int or string (as money is stored in JSON); None when empty or not a number."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def number(value, decimals: int | None = None) -> str:
    """A number with the language's separators, thousands grouped; '' for no value."""
    amount = to_decimal(value)
    if amount is None:
        return "" if value in (None, "") else str(value)
    if decimals is None and amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    return formats.number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def money(amount, currency: str) -> str:
    """An amount rounded half-up to the currency's minor unit, with its sign where the language puts it."""
    value = to_decimal(amount)
    if value is None:
        return ""
    currency = (currency or "").upper()
    text = number(round_money(value, currency or "EUR"), decimals=minor_unit(currency or "EUR"))
    sign = CURRENCY_SIGNS.get(currency, currency)
    lang = (translation.get_language() or "en").split("-")[0]
    if lang in SIGN_FIRST and len(sign) == 1:
        return f"{sign}{text}" if not text.startswith("-") else f"-{sign}{text[1:]}"
    return f"{text}\u00a0{sign}"


def duration_words(value: dt.timedelta) -> str:
    """'1 day, 2 hours': a duration for people (ISO 8601 is for files and forms)."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes})
    return ", ".join(parts)


def relative_day(day: dt.date, today: dt.date | None = None) -> str:
    """'today', 'in 3 days', '2 days ago' — counted from the domain clock's today
    (the demo's stands at the end of Northwind's data)."""
    today = today or clock.local_today()
    delta = (day - today).days
    if delta == 0:
        return _("today")
    if delta == 1:
        return _("tomorrow")
    if delta == -1:
        return _("yesterday")
    if delta > 0:
        return ngettext("in %(n)s day", "in %(n)s days", delta) % {"n": delta}
    return ngettext("%(n)s day ago", "%(n)s days ago", -delta) % {"n": -delta}


def relative_moment(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """'in 3 hours', '5 minutes ago', or in days once it is a day or more away."""
    now = now or timezone.now()
    seconds = (moment - now).total_seconds()
    future = seconds > 0
    seconds = abs(seconds)
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        n = int(seconds // 60)
        text = ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    elif seconds < 86400:
        n = int(seconds // 3600)
        text = ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    else:
        n = int(seconds // 86400)
        text = ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    return (_("in %(time)s") if future else _("%(time)s ago")) % {"time": text}
