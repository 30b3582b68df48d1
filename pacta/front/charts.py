"""Charts as inline SVG, drawn on the server from an evaluation's figures.

Pure functions: figures in, markup out; no JavaScript and no charting
library. Every chart is an image (`role="img"`) with a `<title>` and a
`<desc>` that says its key numbers in words, and carries a data table that the
page hides visually for screen readers (`Chart.table`). Numbers, money and
dates are written the way the active language writes them (Django's formats);
colours come from the status palette through CSS classes (pacta.css, section
"charts"), so the SVG itself holds no colour.

Three shapes serve the commitment types:

- `cumulative_chart`: the running total of a period against horizontal levels
  (a minimum, a maximum, a volume, rebate tiers), with the forecast as a
  dashed line from *as of* to the period's end;
- `rate_chart`: the share on time per period as bars, with the target line;
- `amounts_chart`: what is unpaid per month, overdue and not yet due, as stacked bars.

`commitment_chart(result, ...)` picks and fills the right one from a
`Result`'s `data` (see each type module for what it puts there).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pacta.core.commitments.base import InstanceResult, Result
from pacta.front import formatting
from pacta.lib.periods import period_label, periods_between

# Geometry of every chart, in SVG user units (the chart scales with the page).
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 92, 22, 36  # margins: y ticks left, end labels right, x ticks below
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
HEADROOM = Decimal("1.08")  # the highest level's label stays inside the plot, under the top
MAX_BARS = 24  # the latest periods (two years of months); the table lists the same ones
LABELLED_BAND = 30  # narrower bars get their figure only when it is not 100%


@dataclass(frozen=True)
class Level:
    """A horizontal line across the plot: a bound, a tier threshold or a target."""

    value: Decimal
    label: str
    kind: str = "bound"  # CSS class suffix: bound | tier | next | target


@dataclass(frozen=True)
class Period:
    """A period's running total: what `cumulative_chart` draws."""

    title: str
    start: dt.date  # first day
    end: dt.date  # last day
    days: Sequence[dt.date]  # days with events, oldest first
    totals: Sequence[Decimal]  # running total at the end of each of those days
    elapsed: Decimal  # share of the period elapsed at *as of*, 0..1 (1 once it ended)
    total: Decimal  # the total at *as of*
    forecast: Decimal | None  # the total at the period's end at this pace (None: no forecast)
    levels: Sequence[Level] = ()
    outlook: str = "on_track"  # the forecast's state (CSS class): on_track | at_risk | kept | broken
    fmt: Callable[[Decimal], str] = formatting.number  # a value in words: money or units
    unit: str = ""  # what the y axis counts ("USD", "units")
    note: str = ""  # one more sentence for the description ("The 3% tier needs ... more.")


@dataclass(frozen=True)
class Rate:
    """One period's share on time: what `rate_chart` draws as a bar."""

    label: str  # on the axis; a line break puts the rest under it
    rate: Decimal | None  # percent; None when nothing was judged in the period
    judged: int
    on_time: int
    target: Decimal | None = None
    name: str = ""  # in words and in the table (default: the label on one line)

    @property
    def words(self) -> str:
        return self.name or self.label.replace("\n", " ")


@dataclass(frozen=True)
class Amounts:
    """What is unpaid in one month: what `amounts_chart` stacks as a bar."""

    label: str  # on the axis; a line break puts the rest under it
    name: str  # in words and in the table
    overdue: Decimal
    open: Decimal  # not yet due


@dataclass
class Chart:
    """An SVG image and the same figures as a table (for screen readers and for copying)."""

    svg: SafeString
    legend: list[tuple[str, str]] = field(default_factory=list)  # (CSS class, text)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    caption: str = ""


# ---------------------------------------------------------------------------
# The shapes


def cumulative_chart(p: Period) -> Chart:
    """The running total of one period against its levels, with the forecast to the period's end."""
    known = max([p.total, *(lv.value for lv in p.levels), *p.totals])
    # A forecast made early in a period can be far off the known figures: past twice
    # their height it leaves the plot at the top instead of flattening everything.
    highest = max(known, min(p.forecast or 0, 2 * known)) if known > 0 else (p.forecast or 0)
    scale = _Scale(highest * HEADROOM)
    span = (p.end - p.start).days + 1
    ended = p.elapsed >= 1

    def x_of(day: dt.date) -> float:
        return LEFT + PLOT_W * (day - p.start).days / span

    x_now = LEFT + PLOT_W * float(min(max(p.elapsed, Decimal(0)), Decimal(1)))
    parts = [_y_axis(scale, p.unit), _x_axis(_day_ticks(p.start, p.end), x_of)]
    parts += [_level(lv, scale) for lv in p.levels]
    # The running total as steps: flat between days with events, up on each of them.
    points, last = [(LEFT, scale.y(0))], Decimal(0)
    for day, total in zip(p.days, p.totals):
        x = x_of(day)
        points += [(x, scale.y(last)), (x, scale.y(total))]
        last = total
    points.append((x_now, scale.y(p.total)))
    parts.append(f'<polyline class="chart-total" points="{_points(points)}"/>')
    if not ended:
        parts.append(f'<line class="chart-now" x1="{x_now:.1f}" y1="{TOP}" x2="{x_now:.1f}" y2="{TOP + PLOT_H}"/>')
        parts.append(_text(x_now, TOP - 6, _short_day(p.start + dt.timedelta(days=int(p.elapsed * span))),
                           "chart-label", "middle"))
    if p.forecast is not None and not ended:
        parts.append(_forecast(p, scale, x_now))
    parts.append(f'<circle class="chart-dot chart-total-dot" cx="{x_now:.1f}" cy="{scale.y(p.total):.1f}" r="3.5"/>')
    if ended:
        parts.append(_text(LEFT + PLOT_W + 6, scale.y(p.total) + 4, p.fmt(p.total), f"chart-value chart-{p.outlook}"))
    description = _cumulative_words(p, ended)
    legend = [("chart-key-total", _("running total: %(total)s") % {"total": p.fmt(p.total)})]
    if p.forecast is not None and not ended:
        legend.append((f"chart-key-forecast chart-{p.outlook}",
                       _("forecast at this pace: %(forecast)s by %(end)s") % {
                           "forecast": p.fmt(p.forecast), "end": _day(p.end)}))
    legend += [(f"chart-key-{lv.kind}", lv.label) for lv in p.levels]
    rows = [[_day(day), p.fmt(total)] for day, total in zip(p.days, p.totals)]
    return Chart(
        svg=_svg(p.title, description, parts), legend=legend, caption=p.title,
        headers=[_("Day"), _("Running total")], rows=rows,
    )


def rate_chart(title: str, rates: Sequence[Rate]) -> Chart:
    """The share on time of each period as a bar, with the target line."""
    shown = list(rates)
    scale = _Scale(Decimal(100), step=Decimal(25))
    band = PLOT_W / max(len(shown), 1)
    parts = [_y_axis(scale, "", percent=True),
             f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}"/>']
    targets = {r.target for r in shown if r.target is not None}
    for i, r in enumerate(shown):
        x = LEFT + band * i
        mid = x + band / 2
        parts.append(_band_label(mid, r.label))
        if r.rate is None:
            parts.append(_text(mid, TOP + PLOT_H - 4, "–", "chart-label", "middle"))
            continue
        y = scale.y(r.rate)
        # Against its target; without one, every late order or answer is a breach.
        state = "broken" if r.rate < (r.target if r.target is not None else 100) else "kept"
        width = band * 0.62
        height = max(TOP + PLOT_H - y, 2.0)  # a 0% bar still shows its colour
        parts.append(f'<rect class="chart-bar chart-{state}" x="{mid - width / 2:.1f}" y="{TOP + PLOT_H - height:.1f}" '
                     f'width="{width:.1f}" height="{height:.1f}"/>')
        if band >= LABELLED_BAND or r.rate < 100:
            parts.append(_text(mid, TOP + PLOT_H - height - 4, _percent(r.rate, 0), f"chart-value chart-{state}",
                               "middle"))
    for target in sorted(targets):
        parts.append(_level(Level(target, _("target %(rate)s") % {"rate": _percent(target)}, "target"), scale,
                            right=True))
    judged = [r for r in shown if r.rate is not None]
    words = [_("%(period)s: %(rate)s on time (%(on_time)s of %(judged)s)") % {
        "period": r.words, "rate": _percent(r.rate), "on_time": formatting.number(r.on_time),
        "judged": formatting.number(r.judged)} for r in judged]
    if targets:
        below = [r.words for r in judged if r.target is not None and r.rate < r.target]
        words.append(_("below the target: %(periods)s") % {"periods": ", ".join(below)} if below
                     else _("every period reached its target"))
    description = "; ".join(words) + "." if words else _("Nothing judged yet.")
    legend = _rate_legend(judged, targets)
    rows = [[r.words, formatting.number(r.judged), formatting.number(r.on_time),
             _percent(r.rate) if r.rate is not None else "–",
             _percent(r.target) if r.target is not None else "–"] for r in shown]
    return Chart(
        svg=_svg(title, description, parts), legend=legend, caption=title,
        headers=[_("Period"), _("Judged"), _("On time"), _("Share on time"), _("Target")], rows=rows,
    )


def amounts_chart(title: str, months: Sequence[Amounts], fmt: Callable[[Decimal], str], unit: str) -> Chart:
    """What is unpaid per month as stacked bars: overdue below, not yet due on top."""
    scale = _Scale(max((m.overdue + m.open for m in months), default=Decimal(0)) * HEADROOM)
    band = PLOT_W / max(len(months), 1)
    bottom = TOP + PLOT_H
    parts = [_y_axis(scale, unit),
             f'<line class="chart-axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + PLOT_W}" y2="{bottom}"/>']
    for i, m in enumerate(months):
        mid, width, base = LEFT + band * (i + 0.5), band * 0.62, float(bottom)
        parts.append(_band_label(mid, m.label))
        for state, value in (("broken", m.overdue), ("open", m.open)):
            if value > 0:
                height = bottom - scale.y(value)
                base -= height
                parts.append(f'<rect class="chart-bar chart-{state}" x="{mid - width / 2:.1f}" y="{base:.1f}" '
                             f'width="{width:.1f}" height="{height:.1f}"/>')
        if band >= LABELLED_BAND and m.overdue + m.open > 0:
            # Whole units on the bar (the axis names the currency); the table has the exact amounts.
            parts.append(_text(mid, base - 4, formatting.number(_rounded(m.overdue + m.open, 0)), "chart-value",
                               "middle"))
    words = [_("%(month)s: %(overdue)s overdue, %(open)s not yet due") % {
        "month": m.name, "overdue": fmt(m.overdue), "open": fmt(m.open)} for m in months if m.overdue + m.open]
    return Chart(
        svg=_svg(title, "; ".join(words) + "." if words else _("Nothing unpaid."), parts), caption=title,
        legend=[("chart-key-bar chart-broken", _("overdue")), ("chart-key-bar chart-open", _("not yet due"))],
        headers=[_("Due in"), _("Overdue"), _("Not yet due")],
        rows=[[m.name, fmt(m.overdue), fmt(m.open)] for m in months],
    )


def _band_label(mid: float, label: str) -> str:
    """A bar's name under the axis; a line break puts the rest on a second line."""
    first, _sep, second = label.partition("\n")
    text = _text(mid, TOP + PLOT_H + 14, first, "chart-tick", "middle")
    return text + (_text(mid, TOP + PLOT_H + 27, second, "chart-tick", "middle") if second else "")


def _rate_legend(judged: list[Rate], targets: set[Decimal]) -> list[tuple[str, str]]:
    if targets:
        return [("chart-key-bar chart-kept", _("at or above the target")),
                ("chart-key-bar chart-broken", _("below the target")),
                ("chart-key-target", _("target %(rate)s") % {"rate": ", ".join(_percent(t) for t in sorted(targets))})]
    return [("chart-key-bar chart-kept", _("all on time")), ("chart-key-bar chart-broken", _("some late"))]


def _forecast(p: Period, scale: _Scale, x_now: float) -> str:
    """The dashed line from the total at *as of* to the forecast at the period's end
    (cut where it leaves the plot at the top), and the forecast's figure."""
    x0, y0 = x_now, scale.y(p.total)
    x1, y1 = float(LEFT + PLOT_W), scale.y(p.forecast)
    label = p.fmt(p.forecast)
    if y1 < TOP:
        x1, y1 = x0 + (x1 - x0) * (y0 - TOP) / (y0 - y1), float(TOP)
        label = "↑ " + label
    css = f"chart-{p.outlook}"
    return (f'<line class="chart-forecast {css}" x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}"/>'
            f'<circle class="chart-dot {css}" cx="{x1:.1f}" cy="{y1:.1f}" r="3.5"/>'
            + _text(LEFT + PLOT_W + 6, y1 + 4, label, f"chart-value {css}"))


def _cumulative_words(p: Period, ended: bool) -> str:
    """The key numbers of a cumulative chart in one or two sentences."""
    if ended:
        words = _("Ended at %(total)s.") % {"total": p.fmt(p.total)}
    elif p.forecast is None:
        words = _("%(total)s so far.") % {"total": p.fmt(p.total)}
    else:
        words = _("%(total)s so far; at this pace %(forecast)s by %(end)s.") % {
            "total": p.fmt(p.total), "forecast": p.fmt(p.forecast), "end": _day(p.end)}
    levels = "; ".join(lv.label for lv in p.levels)
    return " ".join(w for w in (words, levels + "." if levels else "", p.note) if w)


# ---------------------------------------------------------------------------
# Pieces


class _Scale:
    """The y axis: from 0 to a round number at or above `top`, in round steps."""

    def __init__(self, top: Decimal, step: Decimal | None = None):
        self.step = step or _nice_step(Decimal(top) / 4 if top > 0 else Decimal(1) / 4)
        self.top = max(self.step * math.ceil(Decimal(top) / self.step), self.step)

    def y(self, value) -> float:
        """The height of `value`; below zero (a turnover that credit notes took below nothing) on the axis."""
        return TOP + PLOT_H * (1 - max(float(value), 0.0) / float(self.top))

    def ticks(self) -> list[Decimal]:
        return [self.step * i for i in range(int(self.top / self.step) + 1)]


def _nice_step(rough: Decimal) -> Decimal:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above `rough`."""
    power = Decimal(10) ** math.floor(math.log10(rough))
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10


def _day_ticks(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Dates to mark on the x axis with their labels: the months' first days in a long period
    (every second or third month in a year), else every week (every day in a short one)."""
    span = (end - start).days + 1
    if span > 45:
        firsts = []
        day = start.replace(day=1)
        while day <= end:
            if day >= start:
                firsts.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        step = 1 if len(firsts) <= 7 else 2 if len(firsts) <= 14 else 3
        return [(d, formats.date_format(d, "M")) for d in firsts[::step]]
    step = 1 if span <= 10 else 7
    return [(start + dt.timedelta(days=i), _short_day(start + dt.timedelta(days=i))) for i in range(0, span, step)]


def _y_axis(scale: _Scale, unit: str, percent: bool = False) -> str:
    parts = []
    for value in scale.ticks():
        y = scale.y(value)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}"/>')
        parts.append(_text(LEFT - 6, y + 4, _percent(value, 0) if percent else formatting.number(value),
                           "chart-tick", "end"))
    if unit:
        parts.append(_text(LEFT - 6, TOP - 8, unit, "chart-tick", "end"))
    return "".join(parts)


def _x_axis(ticks: list[tuple[dt.date, str]], x_of: Callable[[dt.date], float]) -> str:
    bottom = TOP + PLOT_H
    parts = [f'<line class="chart-axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + PLOT_W}" y2="{bottom}"/>']
    for day, label in ticks:
        x = x_of(day)
        parts.append(f'<line class="chart-axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>')
        parts.append(_text(x, bottom + 16, label, "chart-tick", "middle"))
    return "".join(parts)


def _level(level: Level, scale: _Scale, right: bool = False) -> str:
    """The level's line, labelled above its left end (or beside its right end)."""
    y = scale.y(level.value)
    label = (_text(LEFT + PLOT_W + 6, y + 4, level.label, f"chart-label chart-{level.kind}") if right
             else _text(LEFT + 4, y - 4, level.label, f"chart-label chart-{level.kind}"))
    line = f'<line class="chart-level chart-{level.kind}" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}"/>'
    return line + label


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>')


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _svg(title: str, description: str, parts: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc"><title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )


def _day(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _short_day(day: dt.date) -> str:
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def _percent(value: Decimal, places: int = 1) -> str:
    """"93.3%": half-up to `places` decimals, none when it is a whole number."""
    return _("%(number)s%%") % {"number": formatting.number(_rounded(value, places))}


def _rounded(value, places: int) -> Decimal:
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return rounded.to_integral_value() if rounded == rounded.to_integral_value() else rounded


# ---------------------------------------------------------------------------
# From an evaluation to a chart


CUMULATIVE_TYPES = ("volume_commitment", "conditional_price", "volume_rebate")
RATE_TYPES = ("on_time_delivery", "response_time")


def commitment_chart(result: Result, currency: str, *, instance: InstanceResult | None = None,
                     series: dict | None = None) -> Chart | None:
    """The chart of an evaluated commitment, or None for a type that draws none.

    Period types chart `instance` (default: the latest period) with `series`
    (`{"days": [ISO dates], "totals": [...]}`; default: the result's, which
    is the latest period's running total).
    """
    if result.type in RATE_TYPES:
        periods = result.data.get("periods") or []
        if not periods:
            return None
        title = (_("Orders delivered on time per period") if result.type == "on_time_delivery"
                 else _("Tickets answered in time per period"))
        return rate_chart(title, _rates(periods))
    if result.type == "payment_term":
        months = result.data.get("months") or []
        if not months:
            return None
        return amounts_chart(_("Unpaid invoices by the month they are due"), _amounts(months),
                             lambda v: formatting.money(v, currency), currency)
    if result.type not in CUMULATIVE_TYPES or not result.instances:
        return None
    instance = instance or result.instances[-1]
    if series is None:
        series = result.data.get("series") if result.data.get("period") == instance.key else None
    return cumulative_chart(_period(result.type, instance, series or {}, currency))


def _rates(periods: list[dict]) -> list[Rate]:
    """The latest `MAX_BARS` periods' rates, oldest first, with the periods in
    between that judged nothing (no bar, so that the axis keeps its pace). A
    month is named by its month, with the year under the first one and under
    each January."""
    kind = _period_kind(periods[0]["period"])
    by_start = {p["start"]: p for p in periods}
    rates = []
    spans = periods_between(periods[0]["start"], periods[-1]["start"], kind)[-MAX_BARS:]
    for start, _end in spans:
        found = by_start.get(start, {})
        label = name = found.get("period") or period_label(start, kind)
        if kind == "month":
            label, name = _month_label(start, not rates), formats.date_format(start, "YEAR_MONTH_FORMAT")
        rates.append(Rate(label=label, rate=found.get("rate"), judged=found.get("judged", 0),
                          on_time=found.get("on_time", 0), target=found.get("target"), name=name))
    return rates


def _amounts(months: list[dict]) -> list[Amounts]:
    """The latest `MAX_BARS` months with unpaid invoices and the months between them."""
    by_month = {m["month"]: m for m in months}
    found = []
    for start, _end in periods_between(months[0]["month"], months[-1]["month"], "month")[-MAX_BARS:]:
        month = by_month.get(start, {})
        found.append(Amounts(label=_month_label(start, not found), name=formats.date_format(start, "YEAR_MONTH_FORMAT"),
                             overdue=month.get("overdue") or Decimal(0), open=month.get("open") or Decimal(0)))
    return found


def _month_label(start: dt.date, first: bool) -> str:
    """A month on the axis: its short name, with the year under the first one and under each January."""
    label = formats.date_format(start, "M")
    return label + "\n" + str(start.year) if first or start.month == 1 else label


def _period_kind(label: str) -> str:
    """"1998" year, "1998-Q2" quarter, "1998-W07" week, "1998-04" month (pacta.lib.periods.period_label)."""
    if len(label) == 4:
        return "year"
    return {"Q": "quarter", "W": "week"}.get(label[5:6], "month")


def _period(type_name: str, inst: InstanceResult, series: dict, currency: str) -> Period:
    d = inst.data
    amount = d.get("measure") == "amount"
    forecast = d.get("forecast")
    if forecast is not None and not amount:
        forecast = _rounded(forecast, 0)  # an estimate of units is said in whole units
    fmt = (lambda v: formatting.money(v, currency)) if amount else _units
    levels, note = [], ""
    if type_name == "volume_commitment":
        if d.get("minimum") is not None:
            levels.append(Level(d["minimum"], _("minimum %(value)s") % {"value": fmt(d["minimum"])}))
        if d.get("maximum") is not None:
            levels.append(Level(d["maximum"], _("maximum %(value)s") % {"value": fmt(d["maximum"])}))
        total = d["total"]
    elif type_name == "conditional_price":
        levels.append(Level(d["volume"], _("%(value)s for the special price") % {"value": fmt(d["volume"])}))
        total = d["total"]
    else:
        total = d["volume"]
        next_from = (d.get("next_tier") or {}).get("from")
        for tier in d["tiers"]:
            if tier["from"] <= 0:
                continue
            words = {"rate": _percent(tier["rate"]), "from": fmt(tier["from"])}
            is_next = tier["from"] == next_from and inst.data["elapsed"] < 1
            levels.append(Level(tier["from"], _("%(rate)s from %(from)s") % words, "next" if is_next else "tier"))
        if d.get("next_tier") and d["elapsed"] < 1:
            note = _("The %(rate)s tier needs %(missing)s more.") % {
                "rate": _percent(d["next_tier"]["rate"]), "missing": fmt(d["missing"])}
    titles = {"volume_commitment": _("Volume in %(period)s"), "conditional_price": _("Quantity in %(period)s"),
              "volume_rebate": _("Turnover in %(period)s")}
    return Period(
        title=titles[type_name] % {"period": d["period"]}, start=d["start"], end=d["end"],
        days=[dt.date.fromisoformat(str(day)) for day in series.get("days", [])], totals=series.get("totals", []),
        elapsed=d["elapsed"], total=total, forecast=forecast, levels=levels, outlook=_outlook(inst),
        fmt=fmt, unit=currency if amount else _("units"), note=note,
    )


def _outlook(inst: InstanceResult) -> str:
    if inst.status == "open":
        return str(inst.health or "on_track")
    return "broken" if inst.status in ("broken", "overdue", "kept_late") else "kept"


def _units(value: Decimal) -> str:
    return _("%(number)s units") % {"number": formatting.number(_rounded(value, 2))}


__all__ = ["Amounts", "Chart", "Level", "Period", "Rate", "amounts_chart", "commitment_chart", "cumulative_chart",
           "rate_chart"]
