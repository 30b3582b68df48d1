"""A result's JSON text, written without dicts, is exactly what json.dumps writes of its JSON shape."""

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest

from pacta.core.commitments.base import (
    Health,
    InstanceResult,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Result,
    result_json_text,
    result_to_json,
)

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
PENALTY = MoneyItem(MoneyKind.PENALTY, Decimal("52.505"), "EUR", "us", MoneyState.DUE)
INSTANCES = [
    InstanceResult("10248", InstanceStatus.KEPT_LATE, due=dt.date(2025, 3, 3),
                   done=dt.datetime(2025, 3, 7, 10, 15, tzinfo=AMSTERDAM), days_late=4, money=[PENALTY],
                   explanation='Delivered 4 days late; "late" → €52.51\nsee line 2'),
    InstanceResult("Q1 \\ 2025", InstanceStatus.OPEN, due=dt.datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=AMSTERDAM),
                   health=Health.AT_RISK, explanation="Æøå, 🚚, tab\there"),
    InstanceResult("plain", "broken", health=None, explanation=""),
    InstanceResult("utc", InstanceStatus.OVERDUE, due=dt.datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=dt.timezone.utc),
                   days_late=0, health=Health.ON_TRACK),
]


@pytest.mark.parametrize("instances", [INSTANCES, []])
def test_the_text_is_the_json_of_the_shape(instances):
    result = Result(agreement="ALFKI-2025", party="ALFKI", commitment="otd", type="on_time_delivery",
                    status="broken", counts={"kept_late": 1, "open": 1}, money=[PENALTY], instances=instances,
                    explanation='Two "late" ones.')
    text = result_json_text(result)
    assert text == json.dumps(result_to_json(result), ensure_ascii=False)
    assert json.loads(text)["instances"] == result_to_json(result)["instances"]
