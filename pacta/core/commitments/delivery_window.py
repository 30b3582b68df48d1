"""`delivery_window`: deliveries only on given weekdays between two local times.

How a delivery is judged (the engine's docs repeat this):

- One instance per delivery (`_facts.deliveries`), judged by the terms in
  force on its day: `kept` when it came on one of `weekdays` between `from`
  and `to` (both included) on the local clock of `timezone` (default the
  agreement's), else `broken`.
- A date-only delivery has no time: it is judged by its weekday only.
- Public holidays are not excluded: list the weekdays that are agreed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from ._facts import SetBased, Texts, by_zone, deliveries, distinct_days, facts, local_moments, tally
from ._fields import LocalTime, TimeZoneName
from ._scope import terms_table
from .base import (
    FieldValueError,
    WEEKDAY_INDEX,
    CommitmentType,
    InstanceResult,
    InstanceStatus,
    Params,
    Result,
    Spec,
    Weekday,
    make_result,
    register,
)


class DeliveryWindowParams(Params):
    weekdays: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
        description="Days on which deliveries are allowed.",
    )
    from_: LocalTime = Field(alias="from", description="Earliest local time of a delivery, e.g. 07:00.")
    to: LocalTime = Field(description="Latest local time of a delivery, e.g. 12:00 (inclusive).")
    timezone: TimeZoneName | None = Field(None, description="Time zone of the window; empty: the agreement's.")

    @model_validator(mode="after")
    def _order(self):
        if self.to < self.from_:
            raise FieldValueError("to", gettext("The window must end after it starts."))
        return self


_FACTS = {"customer": {"delivery": "delivery"}, "supplier": {"receipt": "delivery"}}
_TERMS = {"weekdays": pl.List(pl.Int8), "from": pl.Time, "to": pl.Time, "window_tz": pl.Utf8, "window": pl.Utf8}


def _term_columns(seg) -> dict:
    p: DeliveryWindowParams = seg.params
    days = sorted(WEEKDAY_INDEX[d] for d in p.weekdays)
    window = "%s %s-%s" % (", ".join(str(WEEKDAYS_ABBR[d]) for d in days), p.from_.strftime("%H:%M"),
                           p.to.strftime("%H:%M"))  # "Mon, Tue 07:00-12:00", in the active language
    # Polars numbers weekdays 1 (Monday) to 7.
    return {"weekdays": [d + 1 for d in days], "from": p.from_, "to": p.to, "window_tz": p.timezone, "window": window}


@register
class DeliveryWindow(SetBased, CommitmentType):
    name = "delivery_window"
    label = _("Delivery window")
    help = _("Deliveries only on the agreed days and hours, e.g. mornings only.")
    Params = DeliveryWindowParams
    reads = {"customer": ("delivery",), "supplier": ("receipt",)}

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        if not specs:
            return []
        return _results(specs, judge_deliveries(specs, events, as_of))


def judge_deliveries(specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """One row per (commitment `spec`, delivery `key`) with its local `weekday` and `time` and `kept`."""
    scoped = facts(specs, events, as_of, lambda s: _FACTS.get(s.role, _FACTS["customer"]))
    found = deliveries(scoped, terms_table(specs, _term_columns, _TERMS))
    found = found.with_columns(pl.coalesce("window_tz", "tz").alias("wtz"))
    zones = found["wtz"].unique().to_list() or ["UTC"]
    local = by_zone(zones, lambda tz: pl.col("at").dt.convert_time_zone(tz).dt.replace_time_zone(None), column="wtz")
    found = found.with_columns(
        pl.when(pl.col("date_only")).then(pl.col("day").dt.weekday()).otherwise(local.dt.weekday()).alias("weekday"),
        pl.when(pl.col("date_only")).then(None).otherwise(local.dt.time()).alias("time"),
        pl.when(pl.col("date_only")).then(pl.col("day")).otherwise(local.dt.date()).alias("wday"),
    )
    on_day = pl.col("weekdays").list.contains(pl.col("weekday").cast(pl.Int8))
    in_hours = pl.col("time").is_null() | ((pl.col("time") >= pl.col("from")) & (pl.col("time") <= pl.col("to")))
    return found.with_columns((on_day & in_hours).alias("kept"))


# ---------------------------------------------------------------------------
# Instances and sentences


def _results(specs: list[Spec], judged: pl.DataFrame) -> list[Result]:
    texts = Texts()
    judged = judged.with_columns(_explanations(texts, judged).alias("text"))
    done = local_moments(judged.with_columns(pl.col("wtz").alias("tz")), "at", "wday", "date_only")
    instances: list[list[InstanceResult]] = [[] for _ in specs]
    columns = [judged[c].to_list() for c in ("spec", "key", "kept", "text")]
    for moment, (spec_i, key, kept, text) in zip(done, zip(*columns)):
        status = InstanceStatus.KEPT if kept else InstanceStatus.BROKEN
        instances[spec_i].append(InstanceResult(key, status, None, moment, 0, None, [], text + "."))
    return [make_result(spec, instances[i], _summary(spec, instances[i], texts)) for i, spec in enumerate(specs)]


def _explanations(texts: Texts, judged: pl.DataFrame) -> pl.Expr:
    formatted = texts.dates(distinct_days(judged, "wday"))
    date = texts.date_expr(pl.col("wday"), formatted)
    # Seconds matter at the edge of the window: 12:00:01 is outside "until 12:00".
    time = (pl.when(pl.col("time").dt.second() == 0).then(pl.col("time").dt.strftime("%H:%M"))
            .otherwise(pl.col("time").dt.strftime("%H:%M:%S")))
    args = {
        "delivery": pl.when(pl.col("date_only")).then(date).otherwise(pl.concat_str([date, pl.lit(" "), time])),
        "weekday": pl.col("weekday").replace_strict({i + 1: str(WEEKDAYS_ABBR[i]) for i in range(7)},
                                                    return_dtype=pl.Utf8),
        "window": pl.col("window"),
    }
    return (
        pl.when(pl.col("kept") & pl.col("date_only"))
        .then(texts.sentence_expr(gettext_noop("Delivered on %(delivery)s, an agreed day (%(window)s)"), args))
        .when(pl.col("kept"))
        .then(texts.sentence_expr(gettext_noop("Delivered on %(delivery)s, within the agreed window (%(window)s)"), args))
        .otherwise(texts.sentence_expr(
            gettext_noop("Delivered on %(weekday)s %(delivery)s, outside the agreed window (%(window)s)"), args))
    )


def _summary(spec: Spec, instances: list[InstanceResult], texts: Texts) -> str:
    """"11 of 12 deliveries came within the window; 10643 did not."."""
    return tally(texts, spec, instances, none=gettext_noop("No deliveries yet"),
                 counted=lambda n: texts.ngettext("%(kept)s of %(n)s delivery came within the window",
                                                  "%(kept)s of %(n)s deliveries came within the window", n),
                 failed=lambda n: texts.ngettext("%(keys)s did not", "%(keys)s did not", n))


__all__ = ["DeliveryWindow", "DeliveryWindowParams", "judge_deliveries"]
