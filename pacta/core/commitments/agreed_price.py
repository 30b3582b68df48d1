"""`agreed_price`: invoice lines billed at the agreed price or discount.

Semantics (COMMITMENTS.md section 3, with the choices written down in the docs):

- One instance per invoice line of the covered products dated within the
  validity, judged by the terms in force on the line's date. Key:
  "<invoice ref>/<product>/<event id>", unique and stable across runs.
  `due` and `done` are the line's date.
- The billed unit price is the line's amount / quantity (the amount is what
  was charged; the importer fills it from quantity x unit price x (1 -
  discount)). Lines without a quantity or amount, in another currency, or (for
  `discount`) without a list price cannot be judged: they make no instance and
  are counted in the commitment's sentence and data.
- `price`: kept when |billed - price| <= `tolerance` per unit, else broken
  (billing too little breaks it too). `discount`: the agreed price is
  list price x (1 - discount/100); kept when billed <= agreed + tolerance (more
  discount is fine).
- Money of a broken line = (billed - agreed) x quantity, `due`. Positive, we
  (the seller on a customer agreement) overcharged: kind `overcharge`, paid
  back by the seller (us on a customer agreement, the supplier on a supplier
  agreement). Negative, undercharged: kind `price_correction`, owed by the
  buyer (the customer, or we on a supplier agreement).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop
from pydantic import Field, model_validator

from ._explain import Figures
from ._fields import NonNegative, Percent
from ._scope import attach_terms, buyer, in_products, paused_gc, scoped_events, seller, terms_table
from .base import (
    FieldValueError,
    DECIMAL,
    CommitmentType,
    InstanceResult,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Params,
    Result,
    Spec,
    make_result,
    register,
)

_EXACT = pl.Decimal(38, 12)  # a price x a quantity, both with 6 decimals, exactly


class AgreedPriceParams(Params):
    price: NonNegative | None = Field(None, description="The agreed price per unit.")
    discount: Percent | None = Field(None, description="Or: at least this discount off list, in percent.")
    tolerance: NonNegative = Field(Decimal("0.005"), description="Allowed difference per unit.")

    @model_validator(mode="after")
    def _one(self):
        if (self.price is None) == (self.discount is None):
            raise FieldValueError("price", gettext("Give either a price or a discount."))
        return self


def _columns(terms) -> dict:
    p = terms.params
    return {"price": p.price, "discount": p.discount, "tolerance": p.tolerance}


_SCHEMA = {"price": DECIMAL, "discount": DECIMAL, "tolerance": DECIMAL}


def _lines(scoped: pl.LazyFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """The covered invoice lines with their terms, and whether each can be judged."""
    lines = (
        scoped.filter(pl.col("kind") == "invoice", pl.col("valid"))
        .select("spec", "id", "ref", "product", "day", "quantity", "amount", "list_price", "same_currency")
        .collect()
    )
    by_list = pl.col("discount").is_not_null()
    agreed = pl.when(by_list).then(pl.col("list_price").cast(_EXACT) * (100 - pl.col("discount")) / 100) \
        .otherwise(pl.col("price"))
    judged = (pl.col("same_currency") & (pl.col("quantity").fill_null(0) != 0) & pl.col("amount").is_not_null()
              & (~by_list | pl.col("list_price").is_not_null()))
    return (
        attach_terms(lines, terms)
        .filter(~pl.col("removed"), in_products())
        .with_columns(agreed.cast(_EXACT).alias("agreed"), judged.alias("judged"))
    )


def _verdicts(lines: pl.DataFrame) -> pl.DataFrame:
    """Kept or broken per judged line, and the money: amount - agreed x quantity."""
    quantity = pl.col("quantity").cast(_EXACT)
    difference = pl.col("amount").cast(_EXACT) - pl.col("agreed") * quantity
    allowed = pl.col("tolerance").cast(_EXACT) * quantity.abs()
    by_list = pl.col("discount").is_not_null()
    # Per unit: billed - agreed = difference / quantity; compared times |quantity| to stay exact.
    over = pl.when(quantity > 0).then(difference).otherwise(-difference) > allowed
    under = pl.when(quantity > 0).then(difference).otherwise(-difference) < -allowed
    broken = over | (~by_list & under)
    return (
        lines.filter(pl.col("judged"))
        .with_columns(
            pl.when(broken).then(pl.lit("broken")).otherwise(pl.lit("kept")).alias("status"),
            pl.when(broken).then(difference).alias("difference"),
            (pl.col("amount").cast(_EXACT) / quantity).alias("billed"),
            pl.concat_str([pl.col("ref").fill_null(""), pl.lit("/"), pl.col("product").fill_null(""), pl.lit("/"),
                           pl.col("id")]).alias("key"),
        )
    )


def _explanations(frame: pl.DataFrame, currency_of: list[str], figures: Figures) -> pl.DataFrame:
    """One sentence per line, built column-wise."""
    currency = pl.col("currency")
    currencies = set(currency_of)
    frame = frame.with_columns(pl.col("spec").replace_strict(dict(enumerate(currency_of))).alias("currency"))
    texts = frame.with_columns(
        figures.money_of_expr(pl.col("billed"), currency, currencies, unit_price=True).alias("billed_text"),
        figures.money_of_expr(pl.col("agreed"), currency, currencies, unit_price=True).alias("agreed_text"),
        figures.money_of_expr(pl.col("difference").abs(), currency, currencies).alias("difference_text"),
        figures.money_of_expr(pl.col("list_price"), currency, currencies, unit_price=True).alias("list_text"),
        figures.number_expr(pl.col("quantity"), 6, keep=0).alias("quantity_text"),
        figures.number_expr(pl.col("discount"), 6, keep=0).alias("discount_text"),
    )
    args = {"key": pl.col("key"), "billed": pl.col("billed_text"), "agreed": pl.col("agreed_text"),
            "difference": pl.col("difference_text"), "list": pl.col("list_text"),
            "quantity": pl.col("quantity_text"), "discount": pl.col("discount_text")}
    by_list, status = pl.col("discount").is_not_null(), pl.col("status")
    sentence = (
        pl.when((status == "kept") & by_list).then(figures.sentence_expr(gettext_noop(
            "Line %(key)s was billed at %(billed)s per unit, at least %(discount)s%% off the list price of %(list)s."),
            args))
        .when(status == "kept").then(figures.sentence_expr(gettext_noop(
            "Line %(key)s was billed at %(billed)s per unit, the agreed %(agreed)s."), args))
        .when(pl.col("difference") > 0).then(figures.sentence_expr(gettext_noop(
            "Line %(key)s was billed at %(billed)s per unit instead of %(agreed)s: %(difference)s overcharged "
            "on %(quantity)s units."), args))
        .otherwise(figures.sentence_expr(gettext_noop(
            "Line %(key)s was billed at %(billed)s per unit instead of %(agreed)s: %(difference)s undercharged "
            "on %(quantity)s units."), args))
    )
    return texts.with_columns(sentence.alias("explanation"))


@register
class AgreedPrice(CommitmentType):
    name = "agreed_price"
    label = _("Agreed price")
    help = _("Invoice lines are billed at the agreed price or discount.")
    Params = AgreedPriceParams
    reads = {"customer": ("invoice",), "supplier": ("invoice",)}

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        figures = Figures()
        lines = _lines(scoped_events(specs, events, as_of, ("invoice",)), terms_table(specs, _columns, _SCHEMA))
        unjudged = dict(lines.filter(~pl.col("judged")).group_by("spec").len().iter_rows())
        frame = _verdicts(lines).sort("spec", "day", "key")
        frame = _explanations(frame, [s.currency for s in specs], figures)
        with paused_gc():
            return _results(specs, frame, unjudged, figures)


_STATUS = {s.value: s for s in InstanceStatus}


def _results(specs: list[Spec], frame: pl.DataFrame, unjudged: dict[int, int], figures: Figures) -> list[Result]:
    """Python objects, only now: one InstanceResult per line, one Result per commitment."""
    columns = [frame[c].to_list() for c in ("spec", "key", "status", "day", "difference", "explanation")]
    instances: dict[int, list[InstanceResult]] = {}
    for index, key, status, day, difference, explanation in zip(*columns):
        inst = InstanceResult(key, _STATUS[status], day, day, None, None, [], explanation)
        if difference:
            inst.money = [_money(specs[index], difference)]
        instances.setdefault(index, []).append(inst)
    results = []
    for index, spec in enumerate(specs):
        found = instances.get(index, [])
        data = _data(found, unjudged.get(index, 0))
        results.append(make_result(spec, found, _summary(data, spec, figures), data=data))
    return results


def _money(spec: Spec, difference: Decimal) -> MoneyItem:
    if difference > 0:
        return MoneyItem(MoneyKind.OVERCHARGE, difference, spec.currency, seller(spec.role), MoneyState.DUE)
    return MoneyItem(MoneyKind.PRICE_CORRECTION, -difference, spec.currency, buyer(spec.role), MoneyState.DUE)


def _data(instances: list[InstanceResult], unjudged: int) -> dict:
    broken = [i for i in instances if i.status == InstanceStatus.BROKEN]
    over = sum(1 for i in broken if i.money and i.money[0].kind == MoneyKind.OVERCHARGE)
    return {"lines": len(instances), "kept": len(instances) - len(broken), "broken": len(broken),
            "overcharged": over, "undercharged": len(broken) - over, "unjudged": unjudged}


def _summary(data: dict, spec: Spec, figures: Figures) -> str:
    if not data["lines"] and not data["unjudged"]:
        return figures.say(gettext_noop("No invoice line of these products yet."))
    args = {k: figures.number(v) for k, v in data.items()}
    text = figures.say(gettext_noop(
        "Invoice lines: %(lines)s; billed as agreed: %(kept)s; billed wrongly: %(broken)s "
        "(overcharged: %(overcharged)s, undercharged: %(undercharged)s)."), args)
    if data["unjudged"]:
        text += " " + figures.say(gettext_noop(
            "Lines that could not be judged (no quantity, amount or list price, or another currency): "
            "%(unjudged)s."), args)
    return text


__all__ = ["AgreedPrice", "AgreedPriceParams"]
