"""The charts: pure functions from figures to SVG, checked as parsed XML.

Geometry of every chart (pacta.front.charts): a 640 x 260 view box, the plot
from x = 64 to 548 (484 wide) and from y = 22 to 224 (202 high). A value v on
a y axis that runs to `top` sits at y = 22 + 202 * (1 - v / top). The axis
runs to a round number at or above 1.08 times the highest figure, in steps of
1, 2, 2.5 or 5 times a power of ten near a quarter of that.
"""

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from pacta.core.commitments.base import InstanceResult, InstanceStatus, Result
from pacta.front.charts import (
    Amounts,
    Level,
    Period,
    Rate,
    amounts_chart,
    commitment_chart,
    cumulative_chart,
    rate_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def first(root: ET.Element, tag: str, css: str) -> ET.Element:
    return next(e for e in root.iter(SVG + tag) if css in e.get("class", "").split())


def numbers(element: ET.Element, *names: str) -> tuple[float, ...]:
    return tuple(float(element.get(n)) for n in names)


def units(value) -> str:
    return f"{value} units"


def half_way_period(**changes) -> Period:
    """January 1-10, 2025: 40 units on the 3rd, half the period gone, 80 units forecast, a minimum of 100."""
    figures = dict(
        title="Period 2025-01", start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 10),
        days=[dt.date(2025, 1, 3)], totals=[Decimal(40)], elapsed=Decimal("0.5"), total=Decimal(40),
        forecast=Decimal(80), levels=[Level(Decimal(100), "minimum 100 units")], outlook="at_risk", fmt=units,
        unit="units",
    )
    figures.update(changes)
    return Period(**figures)


def test_the_forecast_runs_dashed_from_today_to_the_forecast_at_the_periods_end():
    root = parse(cumulative_chart(half_way_period()))
    # The highest figure is the minimum, 100; 108 / 4 = 27 gives steps of 50 and an axis to 150.
    # Today, half-way: x = 64 + 484 * 0.5 = 306; the total 40 at y = 22 + 202 * 110 / 150 = 170.1;
    # the forecast 80 at the plot's right end, x = 548, y = 22 + 202 * 70 / 150 = 116.3.
    forecast = first(root, "line", "chart-forecast")
    assert numbers(forecast, "x1", "y1", "x2", "y2") == (306.0, 170.1, 548.0, 116.3)
    assert "chart-at_risk" in forecast.get("class")
    assert [t.text for t in root.iter(SVG + "text") if "chart-value" in t.get("class")] == ["80 units"]


def test_the_running_total_climbs_on_the_days_with_events_and_stops_today():
    root = parse(cumulative_chart(half_way_period()))
    # 3 January is 2 of 10 days in: x = 64 + 484 * 2 / 10 = 160.8; zero sits on the axis, y = 224.
    assert first(root, "polyline", "chart-total").get("points") == (
        "64.0,224.0 160.8,224.0 160.8,170.1 306.0,170.1")


def test_a_level_is_a_line_across_the_plot_with_its_label():
    root = parse(cumulative_chart(half_way_period()))
    minimum = first(root, "line", "chart-level")
    # 100 on the axis to 150: y = 22 + 202 * 50 / 150 = 89.3
    assert numbers(minimum, "x1", "y1", "x2", "y2") == (64.0, 89.3, 548.0, 89.3)
    assert "minimum 100 units" in [t.text for t in root.iter(SVG + "text")]


def test_a_forecast_far_above_everything_leaves_the_plot_at_the_top():
    chart = cumulative_chart(half_way_period(
        elapsed=Decimal("0.1"), total=Decimal(10), totals=[Decimal(10)], forecast=Decimal(100),
        levels=[Level(Decimal(20), "minimum 20 units")]))
    root = parse(chart)
    # The scale takes twice the known figures (2 x 20 = 40) instead: 43.2 / 4 = 10.8, steps of 20, axis to 60.
    # Today x = 64 + 484 * 0.1 = 112.4, the total 10 at y = 22 + 202 * 50 / 60 = 190.33; 100 would be at
    # 22 + 202 * (1 - 100 / 60) = -112.67. The line leaves at y = 22 after (190.33 - 22) / (190.33 + 112.67)
    # = 5/9 of its way: x = 112.4 + 435.6 * 5 / 9 = 354.4.
    forecast = first(root, "line", "chart-forecast")
    assert numbers(forecast, "x1", "y1", "x2", "y2") == (112.4, 190.3, 354.4, 22.0)
    assert "↑ 100 units" in [t.text for t in root.iter(SVG + "text")]


def test_an_ended_period_has_no_forecast_and_names_its_total():
    chart = cumulative_chart(half_way_period(elapsed=Decimal(1), forecast=Decimal(40), outlook="broken"))
    root = parse(chart)
    assert not [e for e in root.iter(SVG + "line") if "chart-forecast" in e.get("class", "")]
    assert not [e for e in root.iter(SVG + "line") if "chart-now" in e.get("class", "")]
    assert root.find(SVG + "desc").text == "Ended at 40 units. minimum 100 units."


def test_the_image_is_described_with_its_key_numbers():
    chart = cumulative_chart(half_way_period(note="The 3% tier needs 60 units more."))
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.find(SVG + "title").text == "Period 2025-01"
    assert root.find(SVG + "desc").text == (
        "40 units so far; at this pace 80 units by Jan. 10, 2025. minimum 100 units. The 3% tier needs 60 units more.")
    assert chart.headers == ["Day", "Running total"]
    assert chart.rows == [["Jan. 3, 2025", "40 units"]]


def test_text_is_escaped():
    chart = cumulative_chart(half_way_period(title="<Q1> & co", levels=[Level(Decimal(5), 'a "<b>"')]))
    root = parse(chart)
    assert root.find(SVG + "title").text == "<Q1> & co"
    assert 'a "<b>"' in [t.text for t in root.iter(SVG + "text")]


def test_ticks_are_written_in_the_readers_language():
    period = half_way_period(start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30), days=[], totals=[],
                             total=Decimal(0), forecast=Decimal(0), levels=[Level(Decimal(20000), "minimum")], unit="")
    with translation.override("nl"):
        texts = [t.text for t in parse(cumulative_chart(period)).iter(SVG + "text") if t.get("class") == "chart-tick"]
    # 20,000 x 1.08 = 21,600: steps of 10,000 to 30,000, in Dutch with a point between the thousands;
    # the months' first days by their Dutch names.
    assert ["0", "10.000", "20.000", "30.000"] == [t for t in texts if t and t[0].isdigit()]
    assert ["Jan", "Feb", "Mrt", "Apr", "Mei", "Jun"] == [t for t in texts if t and t[0].isalpha()]


def quarters() -> list[Rate]:
    return [Rate("2025-Q1", Decimal(100), 4, 4, Decimal(95)), Rate("2025-Q2", Decimal(75), 4, 3, Decimal(95)),
            Rate("2025-Q3", None, 0, 0, Decimal(95))]


def test_a_rate_is_a_bar_as_high_as_its_share_coloured_against_the_target():
    root = parse(rate_chart("Orders on time", quarters()))
    bars = [e for e in root.iter(SVG + "rect") if "chart-bar" in e.get("class")]
    assert [b.get("class") for b in bars] == ["chart-bar chart-kept", "chart-bar chart-broken"]
    # Three bands of 484 / 3 = 161.33; the second's middle at 64 + 1.5 * 161.33 = 306, its bar 62% = 100.0 wide.
    # 75% of the axis to 100%: y = 22 + 202 * 0.25 = 72.5, down to the axis at 224: 151.5 high.
    assert numbers(bars[1], "x", "y", "width", "height") == (256.0, 72.5, 100.0, 151.5)
    target = first(root, "line", "chart-target")
    assert numbers(target, "y1", "y2") == (32.1, 32.1)  # 95%: 22 + 202 * 0.05


def test_a_period_without_judged_instances_has_no_bar_and_the_words_name_the_misses():
    chart = rate_chart("Orders on time", quarters())
    root = parse(chart)
    assert root.find(SVG + "desc").text == (
        "2025-Q1: 100% on time (4 of 4); 2025-Q2: 75% on time (3 of 4); below the target: 2025-Q2.")
    assert chart.rows[2] == ["2025-Q3", "0", "0", "–", "95%"]


def test_months_between_judged_ones_keep_their_place_on_the_axis():
    periods = [{"period": "2025-01", "start": dt.date(2025, 1, 1), "judged": 2, "on_time": 1, "open": 0,
                "rate": Decimal(50), "target": None},
               {"period": "2025-03", "start": dt.date(2025, 3, 1), "judged": 1, "on_time": 1, "open": 0,
                "rate": Decimal(100), "target": None}]
    result = Result("A", "P", "on-time", "on_time_delivery", "broken", {}, [], [], "", data={"periods": periods})
    chart = commitment_chart(result, "EUR")
    assert [row[0] for row in chart.rows] == ["January 2025", "February 2025", "March 2025"]
    assert [row[3] for row in chart.rows] == ["50%", "–", "100%"]
    # Without a target every late order is a breach: January's bar is red, March's green.
    bars = [e.get("class") for e in parse(chart).iter(SVG + "rect")]
    assert bars == ["chart-bar chart-broken", "chart-bar chart-kept"]


def test_a_rebate_period_draws_its_tiers_and_says_what_the_next_one_needs():
    inst = InstanceResult("2025", InstanceStatus.OPEN, health="on_track", data={
        "period": "2025", "start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31), "measure": "amount",
        "volume": Decimal(30000), "forecast": Decimal(60000), "elapsed": Decimal("0.5"),
        "tiers": [{"from": Decimal(0), "rate": Decimal(0)}, {"from": Decimal(25000), "rate": Decimal(2)},
                  {"from": Decimal(45000), "rate": Decimal(3)}],
        "next_tier": {"from": Decimal(45000), "rate": Decimal(3)}, "missing": Decimal(15000)})
    result = Result("A", "P", "rebate", "volume_rebate", "open", {}, [], [inst], "",
                    data={"period": "2025", "series": {"days": ["2025-03-01"], "totals": [Decimal(30000)]}})
    chart = commitment_chart(result, "EUR")
    root = parse(chart)
    levels = [e.get("class") for e in root.iter(SVG + "line") if "chart-level" in e.get("class", "")]
    assert levels == ["chart-level chart-tier", "chart-level chart-next"]  # the 0% tier is no line
    assert root.find(SVG + "desc").text.endswith("The 3% tier needs €15,000.00 more.")
    assert "3% from €45,000.00" in [t.text for t in root.iter(SVG + "text")]


def test_types_without_a_picture_get_no_chart():
    result = Result("A", "P", "call", "notice_before_delivery", "kept", {}, [], [], "")
    assert commitment_chart(result, "EUR") is None
    assert commitment_chart(SimpleNamespace(type="on_time_delivery", data={"periods": []}), "EUR") is None


def test_unpaid_amounts_stack_overdue_under_not_yet_due():
    months = [Amounts("Jan\n2025", "January 2025", Decimal(300), Decimal(100)),
              Amounts("Feb", "February 2025", Decimal(0), Decimal(200))]
    chart = amounts_chart("Unpaid", months, lambda v: f"{v} EUR", "EUR")
    root = parse(chart)
    bars = [(e.get("class"), numbers(e, "x", "y", "width", "height")) for e in root.iter(SVG + "rect")]
    # The highest bar is 400; 432 / 4 = 108 gives steps of 200 and an axis to 600. Two bands of 242:
    # January's middle at 64 + 121 = 185, its bars 62% = 150.04 wide from x = 110.0. Overdue 300 is
    # 202 * 300 / 600 = 101 high from y = 224 - 101 = 123; open 100 is 33.7 high on top, from y = 89.3.
    assert bars[:2] == [("chart-bar chart-broken", (110.0, 123.0, 150.0, 101.0)),
                        ("chart-bar chart-open", (110.0, 89.3, 150.0, 33.7))]
    assert [b[0] for b in bars[2:]] == ["chart-bar chart-open"]  # February has nothing overdue
    assert root.find(SVG + "desc").text == (
        "January 2025: 300 EUR overdue, 100 EUR not yet due; February 2025: 0 EUR overdue, 200 EUR not yet due.")
    assert chart.rows == [["January 2025", "300 EUR", "100 EUR"], ["February 2025", "0 EUR", "200 EUR"]]
