"""`notice_before_delivery`: a notice between `max_before` and `min_before` ahead of each delivery.

How a delivery is judged (the engine's docs repeat this):

- One instance per delivery (`_facts.deliveries`): `kept` when a `notice` to
  the party came between `max_before` and `min_before` before it, both ends
  included, else `broken`. A notice with a `ref` counts only for deliveries of
  that order; one without a ref counts for every delivery it fits.
- A date-only delivery or notice may have happened at any moment of its day;
  the notice counts when some moment of each fits the window (the benefit of
  the doubt goes to whoever had to give notice).
- The terms in force on the delivery's day judge it. Pauses do not apply: a
  notice is tied to the delivery, not to a deadline.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from ._facts import (
    SetBased,
    Texts,
    deliveries,
    distinct_days,
    facts,
    local_day_of,
    local_moments,
    span_exprs,
    tally,
)
from ._fields import Duration
from ._scope import terms_table
from .base import FieldValueError, CommitmentType, InstanceResult, InstanceStatus, Params, Result, Spec, make_result, register


class NoticeBeforeDeliveryParams(Params):
    min_before: Duration = Field(description="At least this long before the delivery, e.g. PT1H.")
    max_before: Duration | None = Field(
        None, description="At most this long before the delivery, e.g. PT24H; empty: any time before."
    )

    @model_validator(mode="after")
    def _window(self):
        if self.max_before is not None and self.max_before < self.min_before:
            raise FieldValueError("max_before", gettext("max_before must not be shorter than min_before."))
        return self


_FACTS = {"customer": {"delivery": "delivery", "notice": "notice"}, "supplier": {"receipt": "delivery", "notice": "notice"}}
_TERMS = {"min_before": pl.Duration("us"), "max_before": pl.Duration("us")}
_NOTICE = ("notice_at", "notice_day", "notice_date_only")


@register
class NoticeBeforeDelivery(SetBased, CommitmentType):
    name = "notice_before_delivery"
    label = _("Notice before delivery")
    help = _("The party is told ahead of each delivery, e.g. a call one hour before.")
    Params = NoticeBeforeDeliveryParams
    reads = {"customer": ("delivery", "notice"), "supplier": ("receipt", "notice")}

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        if not specs:
            return []
        return _results(specs, judge_deliveries(specs, events, as_of))


def judge_deliveries(specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """One row per (commitment `spec`, delivery `key`) with `kept` and the notice that counted (or the last one)."""
    scoped = facts(specs, events, as_of, lambda s: _FACTS.get(s.role, _FACTS["customer"]))
    terms = terms_table(specs, lambda seg: {"min_before": seg.params.min_before, "max_before": seg.params.max_before},
                        _TERMS)
    zones = scoped["tz"].unique().to_list() or [specs[0].timezone]
    found = deliveries(scoped, terms).sort("spec", "key").with_columns(
        (pl.col("hi") - pl.col("min_before")).alias("latest"),  # the last moment a notice may come
        (pl.col("lo") - pl.col("max_before")).alias("earliest"),  # null: any time before
    )
    notices = _notices(scoped, zones)
    with_ref, general = notices.filter(pl.col("ref").is_not_null()), notices.filter(pl.col("ref").is_null())
    fitting = [_best_notice(found, with_ref, ["spec", "ref"], "latest"), _best_notice(found, general, ["spec"], "latest")]
    found = found.with_columns(*_pick(fitting, fits=True)).with_columns(pl.col("notice_at").is_not_null().alias("kept"))
    # For the sentence of a missed delivery: the last notice before it, if any (few rows).
    missed = found.filter(~pl.col("kept"))
    last = [_best_notice(missed, with_ref, ["spec", "ref"], "hi"), _best_notice(missed, general, ["spec"], "hi")]
    missed = missed.select("spec", "key").with_columns(*_pick(last, fits=False, prefix="last_"))
    return found.join(missed, on=["spec", "key"], how="left").sort("spec", "at", "key")


def _notices(scoped: pl.DataFrame, zones: list[str]) -> pl.DataFrame:
    """Notices with their span and, in time order, the latest end of any notice so far
    (one asof join then finds whether some notice before a moment ends late enough)."""
    lo, hi = span_exprs(zones)
    return (
        scoped.filter(pl.col("fact") == "notice")
        .select("spec", "ref", "at", "date_only", "day", lo.alias("n_lo"), hi.alias("n_hi"))
        .sort("n_lo", "n_hi")
    )


def _best_notice(found: pl.DataFrame, notices: pl.DataFrame, by: list[str], until: str) -> pl.DataFrame:
    """For each delivery, the last notice (of `notices`, matched `by`) that starts by `until`,
    with `reach`: the latest end of all those notices."""
    ranked = notices.with_columns(pl.col("n_hi").cum_max().over(by).alias("reach"))
    return (
        found.select("spec", "key", "ref", pl.col(until).alias("until"), "earliest").sort("until")
        .join_asof(ranked.select(*by, "n_lo", "reach", "at", "date_only", "day"), left_on="until", right_on="n_lo",
                   by=by, strategy="backward", check_sortedness=False)
        .sort("spec", "key")
    )


def _pick(candidates: list[pl.DataFrame], *, fits: bool, prefix: str = "") -> list[pl.Series]:
    """Of two candidate notices per delivery (with a ref, without), the later one;
    with `fits`, only a notice whose reach ends within the window counts."""
    a, b = candidates
    if fits:
        ok_a = a["n_lo"].is_not_null() & (a["earliest"].is_null() | (a["reach"] >= a["earliest"])).fill_null(False)
        ok_b = b["n_lo"].is_not_null() & (b["earliest"].is_null() | (b["reach"] >= b["earliest"])).fill_null(False)
    else:
        ok_a, ok_b = a["n_lo"].is_not_null(), b["n_lo"].is_not_null()
    use_b = ok_b & (~ok_a | (b["n_lo"] > a["n_lo"]).fill_null(False))
    use_a = ok_a & ~use_b
    out = []
    for column, name in zip(("at", "day", "date_only"), _NOTICE):
        picked = pl.select(pl.when(use_b).then(b[column]).when(use_a).then(a[column])).to_series()
        out.append(picked.alias(prefix + name))
    return out


# ---------------------------------------------------------------------------
# Instances and sentences


def _results(specs: list[Spec], judged: pl.DataFrame) -> list[Result]:
    texts = Texts()
    zones = judged["tz"].unique().to_list() or [specs[0].timezone]
    judged = judged.with_columns(
        local_day_of("latest", zones).alias("latest_day"),
        local_day_of("earliest", zones).alias("earliest_day"),
        pl.lit(False).alias("instant"),
    )
    judged = judged.with_columns(_explanations(texts, judged, zones).alias("text"))
    notices = local_moments(judged, "notice_at", "notice_day", "notice_date_only")
    dues = local_moments(judged, "latest", "latest_day", "instant")
    instances: list[list[InstanceResult]] = [[] for _ in specs]
    columns = [judged[c].to_list() for c in ("spec", "key", "kept", "text")]
    for due, notice, (spec_i, key, kept, text) in zip(dues, notices, zip(*columns)):
        status = InstanceStatus.KEPT if kept else InstanceStatus.BROKEN
        instances[spec_i].append(InstanceResult(key, status, due, notice, 0, None, [], text + "."))
    return [make_result(spec, instances[i], _summary(spec, instances[i], texts)) for i, spec in enumerate(specs)]


def _explanations(texts: Texts, judged: pl.DataFrame, zones: list[str]) -> pl.Expr:
    formatted = texts.dates(distinct_days(judged, "day", "notice_day", "last_notice_day"))
    durations = pl.concat([judged["min_before"], judged["max_before"]]).drop_nulls().unique().to_list()
    spans = {d: texts.duration(d) for d in durations}
    args = {
        "delivery": texts.moment_expr(formatted, "at", "day", "date_only", zones),
        "notice": texts.moment_expr(formatted, "notice_at", "notice_day", "notice_date_only", zones),
        "last": texts.moment_expr(formatted, "last_notice_at", "last_notice_day", "last_notice_date_only", zones),
        "min": pl.col("min_before").replace_strict(spans, default=None, return_dtype=pl.Utf8),
        "max": pl.col("max_before").replace_strict(spans, default=None, return_dtype=pl.Utf8),
    }
    missed = (
        pl.when(pl.col("max_before").is_null())
        .then(texts.sentence_expr(gettext_noop("Delivery on %(delivery)s was not announced at least %(min)s ahead"), args))
        .otherwise(texts.sentence_expr(
            gettext_noop("Delivery on %(delivery)s was not announced between %(max)s and %(min)s ahead"), args))
    )
    last = texts.sentence_expr(gettext_noop("the last notice before it came on %(last)s"), args)
    return (
        pl.when(pl.col("kept"))
        .then(texts.sentence_expr(gettext_noop("Delivery on %(delivery)s was announced on %(notice)s"), args))
        .when(pl.col("last_notice_at").is_not_null()).then(pl.concat_str([missed, pl.lit("; "), last]))
        .otherwise(missed)
    )


def _summary(spec: Spec, instances: list[InstanceResult], texts: Texts) -> str:
    """"11 of 12 deliveries were announced; 10643 was not."."""
    return tally(texts, spec, instances, none=gettext_noop("No deliveries yet"),
                 counted=lambda n: texts.ngettext("%(kept)s of %(n)s delivery was announced",
                                                  "%(kept)s of %(n)s deliveries were announced", n),
                 failed=lambda n: texts.ngettext("%(keys)s was not", "%(keys)s were not", n))


__all__ = ["NoticeBeforeDelivery", "NoticeBeforeDeliveryParams", "judge_deliveries"]
