"""`payment_term`: each invoice paid within `days`.

Semantics (COMMITMENTS.md section 3, with the choices written down in the docs):

- One instance per invoice `ref` dated within the validity (invoice rows
  without a ref are ignored). Its amount is the sum of its lines in the
  agreement's currency; its date the earliest line's local date. With
  `products`, an invoice is covered when one of its lines is of those products
  (the whole invoice counts). The terms in force on the invoice date govern it.
- Due date = invoice date (or, with `from: end_of_month`, the last day of its
  month) + `days`; a date deadline, so paying on the due date is on time.
- `payment` and `credit_note` events with the invoice's ref settle it (a credit
  note with the invoice's ref lowers what is owed, whatever the sign it is
  written with). The invoice is paid on the day what is still owed, rounded
  half-up to the currency's minor unit, reaches zero: `kept` by the due date,
  `kept_late` after it (days late = payment day - due date). Unpaid: `overdue`
  once the due date has passed (days late to the local date of *as of*), else
  `open` (on track).
- Interest (`interest_percent` a year, simple, actual/365): for each day after
  the due date until it is paid (or until *as of*), on what was still owed that
  day; a part payment or credit note lowers the base from its own day. It is
  `due` once the invoice is paid, `accrued` while it is overdue. `fixed_fee`:
  once per late invoice, `due`. Both are owed by the buyer (the party on a
  customer agreement, we on a supplier agreement).
- `next_check_at`: the moment the next open invoice becomes overdue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

import polars as pl
from django.utils.translation import gettext_lazy as _, gettext_noop, ngettext
from pydantic import Field

from pacta.lib.dates import start_of_day
from pacta.lib.money import minor_unit

from ._explain import Figures
from ._fields import NonNegative, Percent
from ._scope import as_of_day, attach_terms, buyer, paused_gc, scoped_events, terms_table
from .base import (
    DECIMAL,
    CommitmentType,
    Health,
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

_EXACT = pl.Decimal(38, 18)  # for interest: exact enough that rounding to cents is never off


class PaymentFrom(StrEnum):
    INVOICE_DATE = "invoice_date"
    END_OF_MONTH = "end_of_month"


class PaymentTermParams(Params):
    days: int = Field(ge=0, description="Days to pay.")
    from_: PaymentFrom = Field(
        PaymentFrom.INVOICE_DATE, alias="from", description="Count from the invoice date or the end of its month."
    )
    interest_percent: Percent | None = Field(None, description="Interest per year on the unpaid amount (simple, actual/365).")
    fixed_fee: NonNegative | None = Field(None, description="Fixed fee for a late payment.")


def _columns(terms) -> dict:
    p = terms.params
    return {"days": p.days, "end_of_month": p.from_ == PaymentFrom.END_OF_MONTH,
            "interest_percent": p.interest_percent, "fixed_fee": p.fixed_fee}


_SCHEMA = {"days": pl.Int64, "end_of_month": pl.Boolean, "interest_percent": DECIMAL, "fixed_fee": DECIMAL}


def _invoices(scoped: pl.LazyFrame, terms: pl.DataFrame, per_spec: pl.DataFrame) -> pl.DataFrame:
    """One row per covered invoice: `inv` (its number), spec, ref, day, amount, its terms and due date."""
    by_product = terms["products"].list.len().max() or 0  # only then are the lines' products needed
    lines = [pl.col("product").drop_nulls().unique().alias("lines")] if by_product else []
    grouped = (
        scoped.filter(pl.col("kind") == "invoice", pl.col("valid"), pl.col("same_currency"), pl.col("ref").is_not_null())
        .group_by("spec", "ref")
        .agg(pl.col("day").min(), pl.col("amount").sum(), *lines)
        .collect()
    )
    covered = [(pl.col("products").list.len() == 0)
               | (pl.col("lines").list.set_intersection(pl.col("products")).list.len() > 0)] if by_product else []
    base = pl.when(pl.col("end_of_month")).then(pl.col("day").dt.month_end()).otherwise(pl.col("day"))
    return (
        attach_terms(grouped, terms)
        .filter(~pl.col("removed"), *covered)
        .with_columns((base + pl.duration(days=pl.col("days"))).alias("due"))
        .join(per_spec, on="spec", how="left")
        .select("spec", "ref", "day", "amount", "due", "currency", "half", "as_of_day", "interest_percent", "fixed_fee")
        .with_row_index("inv")
    )


def _settlements(scoped: pl.LazyFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """The invoices with when each was paid (`paid_on`), what it still owes
    (`owed_now`) and the sum of owed amount x days after the due date
    (`owed_days`), the base of interest."""
    timeline = (
        scoped.filter(pl.col("kind").is_in(["payment", "credit_note"]), pl.col("same_currency"),
                      pl.col("ref").is_not_null())
        .select("spec", "ref", "day", pl.col("amount").abs().alias("value"))
        .join(invoices.lazy().select("inv", "spec", "ref"), on=["spec", "ref"], how="inner")
        .group_by("inv", "day").agg(pl.col("value").sum())
        .join(invoices.lazy().select("inv", "amount", "due", "half"), on="inv", how="inner")
        .sort("inv", "day")
        .with_columns(
            (pl.col("amount") - pl.col("value").cum_sum().over("inv")).alias("owed_after"),
            pl.col("day").shift(1).over("inv").alias("previous"),
        )
        .with_columns((pl.col("owed_after") + pl.col("value")).alias("owed_before"))
    )
    # Interest runs from the due date: each move closes a stretch of days at what was owed before it.
    start = pl.max_horizontal(pl.col("previous"), pl.col("due"))
    stretch = pl.when(pl.col("day") > pl.col("due")).then((pl.col("day") - start).dt.total_days()).otherwise(0)
    per_invoice = timeline.group_by("inv").agg(
        pl.col("day").filter(pl.col("owed_after") < pl.col("half")).first().alias("paid_on"),
        pl.col("owed_after").last().alias("owed_now"),
        pl.col("day").last().alias("last_move"),
        (pl.max_horizontal(pl.col("owed_before"), 0) * stretch).sum().alias("owed_days"),
    )
    return (
        invoices.lazy().join(per_invoice, on="inv", how="left")
        .with_columns(pl.col("owed_now").fill_null(pl.col("amount")), pl.col("owed_days").fill_null(0))
        .with_columns(_tail_of_owed_days())
        .collect()
    )


def _tail_of_owed_days() -> pl.Expr:
    """While unpaid after the due date, the days from the last move (or the due date) to *as of* count too."""
    since = pl.max_horizontal(pl.col("last_move"), pl.col("due"))
    open_days = (pl.col("as_of_day") - since).dt.total_days()
    unpaid_late = pl.col("paid_on").is_null() & (pl.col("as_of_day") > pl.col("due")) & (pl.col("owed_now") > 0)
    tail = pl.when(unpaid_late).then(pl.col("owed_now") * open_days).otherwise(0)
    return (pl.col("owed_days") + tail).alias("owed_days")


def _verdicts(frame: pl.DataFrame) -> pl.DataFrame:
    """Status, days late and money per invoice, column-wise."""
    paid, late = pl.col("paid_on").is_not_null(), pl.col("paid_on") > pl.col("due")
    overdue = ~paid & (pl.col("as_of_day") > pl.col("due"))
    breach = (paid & late) | overdue
    interest = (pl.col("owed_days").cast(_EXACT) * pl.col("interest_percent").cast(_EXACT)) / 36500
    return frame.with_columns(
        pl.when(paid & late).then(pl.lit("kept_late")).when(paid).then(pl.lit("kept"))
        .when(overdue).then(pl.lit("overdue")).otherwise(pl.lit("open")).alias("status"),
        pl.when(paid & late).then((pl.col("paid_on") - pl.col("due")).dt.total_days())
        .when(overdue).then((pl.col("as_of_day") - pl.col("due")).dt.total_days())
        .when(paid).then(0).alias("days_late"),
        pl.when(breach & (interest > 0)).then(interest).alias("interest"),
        pl.when(breach & (pl.col("fixed_fee") > 0)).then(pl.col("fixed_fee")).alias("fee"),
        pl.max_horizontal(pl.col("owed_now"), 0).alias("unpaid"),
    )


def _explanations(frame: pl.DataFrame, figures: Figures) -> pl.DataFrame:
    """One sentence per invoice, built column-wise from its figures formatted once."""
    dates = figures.dates([*frame["due"], *frame["paid_on"]])
    currencies = frame["currency"].unique().to_list()
    texts = frame.with_columns(
        figures.money_of_expr(pl.col("amount"), pl.col("currency"), currencies).alias("amount_text"),
        figures.money_of_expr(pl.col("unpaid"), pl.col("currency"), currencies).alias("unpaid_text"),
        figures.date_expr(pl.col("due"), dates).alias("due_text"),
        figures.date_expr(pl.col("paid_on"), dates).alias("paid_text"),
    )
    args = {"ref": pl.col("ref"), "amount": pl.col("amount_text"), "due": pl.col("due_text"),
            "paid": pl.col("paid_text"), "unpaid": pl.col("unpaid_text"), "days": pl.col("days_late").cast(pl.Utf8)}
    status = pl.col("status")
    return texts.with_columns(
        pl.when(status == "kept").then(figures.sentence_expr(
            gettext_noop("Invoice %(ref)s of %(amount)s was due on %(due)s and paid on %(paid)s."), args))
        .when(status == "kept_late").then(figures.plural_expr(_paid_late, pl.col("days_late"), args))
        .when(status == "overdue").then(figures.plural_expr(_overdue, pl.col("days_late"), args))
        .otherwise(figures.sentence_expr(
            gettext_noop("Invoice %(ref)s of %(amount)s is due on %(due)s; %(unpaid)s is still to be paid."), args))
        .alias("explanation")
    )


def _paid_late(n: int) -> str:
    return ngettext("Invoice %(ref)s of %(amount)s was due on %(due)s and paid on %(paid)s, %(days)s day late.",
                    "Invoice %(ref)s of %(amount)s was due on %(due)s and paid on %(paid)s, %(days)s days late.", n)


def _overdue(n: int) -> str:
    return ngettext("Invoice %(ref)s of %(amount)s was due on %(due)s; %(unpaid)s is unpaid, %(days)s day late.",
                    "Invoice %(ref)s of %(amount)s was due on %(due)s; %(unpaid)s is unpaid, %(days)s days late.", n)


@register
class PaymentTerm(CommitmentType):
    name = "payment_term"
    label = _("Payment term")
    help = _("Each invoice is paid within the agreed number of days.")
    Params = PaymentTermParams
    reads = {"customer": ("invoice", "payment", "credit_note"), "supplier": ("invoice", "payment", "credit_note")}

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        figures = Figures()
        scoped = scoped_events(specs, events, as_of, ("invoice", "payment", "credit_note"))
        # Half the currency's minor unit: an invoice is paid once less than that is owed.
        per_spec = pl.DataFrame({
            "spec": range(len(specs)),
            "currency": [s.currency for s in specs],
            "half": [Decimal(5).scaleb(-minor_unit(s.currency) - 1) for s in specs],
            "as_of_day": [as_of_day(as_of, s.timezone) for s in specs],
        }, schema={"spec": pl.Int64, "currency": pl.Utf8, "half": DECIMAL, "as_of_day": pl.Date})
        invoices = _invoices(scoped, terms_table(specs, _columns, _SCHEMA), per_spec)
        frame = _verdicts(_settlements(scoped, invoices)).sort("spec", "due", "ref")
        frame = _explanations(frame, figures)
        with paused_gc():
            return _results(specs, frame, figures)


_STATUS = {s.value: s for s in InstanceStatus}


def _results(specs: list[Spec], frame: pl.DataFrame, figures: Figures) -> list[Result]:
    """Python objects, only now: one InstanceResult per invoice, one Result per commitment."""
    columns = [frame[c].to_list() for c in
               ("spec", "ref", "status", "due", "paid_on", "days_late", "interest", "fee", "explanation")]
    instances: dict[int, list[InstanceResult]] = {}
    for index, ref, status, due, paid_on, days_late, interest, fee, explanation in zip(*columns):
        inst = InstanceResult(ref, _STATUS[status], due, paid_on, days_late,
                              Health.ON_TRACK if status == "open" else None, [], explanation)
        if interest is not None or fee is not None:
            inst.money = _money(specs[index], status, interest, fee)
        instances.setdefault(index, []).append(inst)
    totals = _totals(frame)
    months = _months(frame)
    results = []
    for index, spec in enumerate(specs):
        found = instances.get(index, [])
        summary = totals.get(index)
        data = {**summary, "months": months.get(index, [])} if summary else {}
        results.append(make_result(spec, found, _summary(summary, spec, figures),
                                   next_check_at=_next_check(summary, spec), data=data))
    return results


def _money(spec: Spec, status: str, interest: Decimal | None, fee: Decimal | None) -> list[MoneyItem]:
    """A late invoice's interest (due once paid, accrued while overdue) and fee, owed by the buyer."""
    items = []
    if interest is not None:
        state = MoneyState.DUE if status == "kept_late" else MoneyState.ACCRUED
        items.append(MoneyItem(MoneyKind.INTEREST, interest, spec.currency, buyer(spec.role), state))
    if fee is not None:
        items.append(MoneyItem(MoneyKind.FEE, fee, spec.currency, buyer(spec.role), MoneyState.DUE))
    return items


def _totals(frame: pl.DataFrame) -> dict[int, dict]:
    """Per commitment, for the sentence and the page: counts, amounts, the next due date."""
    status = pl.col("status")
    agg = frame.group_by("spec").agg(
        pl.len().alias("invoices"),
        *[(status == s).sum().alias(s) for s in ("kept", "kept_late", "overdue", "open")],
        pl.col("amount").sum().alias("invoiced"),
        pl.col("unpaid").filter(status == "overdue").sum().alias("overdue_unpaid"),
        pl.col("unpaid").filter(status == "open").sum().alias("open_unpaid"),
        pl.col("due").filter(status == "open").min().alias("next_due"),
    )
    return {row.pop("spec"): row for row in agg.to_dicts()}


def _months(frame: pl.DataFrame) -> dict[int, list[dict]]:
    """Per commitment, for the chart: what is unpaid by the month of its due date, still
    open and overdue (`{"month": first day, "open": amount, "overdue": amount}`, oldest first)."""
    status = pl.col("status")
    agg = (
        frame.filter(status.is_in(["open", "overdue"]))
        .group_by("spec", pl.col("due").dt.truncate("1mo").alias("month"))
        .agg(pl.col("unpaid").filter(status == "open").sum().alias("open"),
             pl.col("unpaid").filter(status == "overdue").sum().alias("overdue"))
        .sort("spec", "month")
    )
    found: dict[int, list[dict]] = {}
    for spec, month, open_, overdue in agg.iter_rows():
        found.setdefault(spec, []).append({"month": month, "open": open_, "overdue": overdue})
    return found


def _summary(totals: dict | None, spec: Spec, figures: Figures) -> str:
    if not totals:
        return figures.say(gettext_noop("No invoice yet."))
    args = {"total": figures.number(totals["invoices"]), "kept": figures.number(totals["kept"]),
            "late": figures.number(totals["kept_late"]), "overdue": figures.number(totals["overdue"]),
            "open": figures.number(totals["open"]), "unpaid": figures.money(totals["overdue_unpaid"], spec.currency)}
    return figures.say(gettext_noop(
        "Invoices: %(total)s; paid on time: %(kept)s; paid late: %(late)s; overdue: %(overdue)s "
        "(%(unpaid)s unpaid); not yet due: %(open)s."), args)


def _next_check(totals: dict | None, spec: Spec) -> dt.datetime | None:
    """When the next open invoice becomes overdue: the local midnight after its due date."""
    if not totals or totals["next_due"] is None:
        return None
    return start_of_day(totals["next_due"] + dt.timedelta(days=1), spec.timezone)


__all__ = ["PaymentFrom", "PaymentTerm", "PaymentTermParams"]
