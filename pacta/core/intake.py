"""Intakes: clarify a request before committing to it (DESIGN.md "Intake").

An intake records, in the customer's words, the problem and the desired
situation; goal, purpose and benefit; scope in and out; limits; definitions
of key terms; requirements on quality, efficiency, security and reliability;
what the customer values and pays; our capacity; and, per proposed special
promise, what one occurrence costs us and how often it occurs a year.

Life cycle (`Intake.Status`)::

    clarifying ──submit──▶ awaiting decision ──accept──▶ accepted
                                  │ ├──decline──▶ declined
                                  │ └──counter-offer──▶ counter-offered ──accept counter-offer──▶ accepted
                                  └─ (edited while waiting)

An intake can be edited until it is accepted or declined; a counter-offer's
proposal is edited to what we can do before the customer accepts it.
Accepting turns the intake into agreement text: its key terms become the
glossary, its proposed promises commitments (validated like every commitment),
its clarification a negotiation note; a new request becomes a draft agreement,
a change of an agreement is added to it (to a draft in place, to an agreement
in force as an amendment). The writes are in `pacta.core.actions.engagement`.

Key terms are stored as `[{"term", "definition"}]`; each proposed promise as
a commitment document `{"key", "type", "title", "params", "products",
"direction", "cost", "occurrences"}` with `cost` (money per occurrence) and
`occurrences` (per year) as decimal strings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacta.core.actions.register import CommitmentData
from pacta.core.commitments import REGISTRY, params_to_data, validate_params
from pacta.core.models import Agreement, Direction, Intake
from pacta.core.permissions import can_change
from pacta.core.profitability import cost_share_limit
from pacta.lib.money import round_money

Status = Intake.Status

# How long an intake may wait for a decision before it is brought up (the owner's digest, the list).
WAITING_TOO_LONG = dt.timedelta(days=7)
EDITABLE = frozenset({Status.CLARIFYING, Status.AWAITING_DECISION, Status.COUNTERED})
DECIDED = frozenset({Status.ACCEPTED, Status.DECLINED})

KEY_PATTERN = re.compile(r"^[^/\s]+$")


class Decision:
    """What a decision on an intake can be."""

    ACCEPT = "accept"
    DECLINE = "decline"
    COUNTER = "counter"
    CHOICES = [
        (ACCEPT, gettext_lazy("accept")),
        (DECLINE, gettext_lazy("decline")),
        (COUNTER, gettext_lazy("counter-offer: not this, but we can …")),
    ]


# ---------------------------------------------------------------------------
# States and who may do what


def is_editable(intake: Intake) -> bool:
    return intake.status in EDITABLE


def waiting_days(intake: Intake, now: dt.datetime) -> int | None:
    """Whole days the intake has been waiting for a decision; None when it is not waiting."""
    if intake.status != Status.AWAITING_DECISION or intake.submitted_at is None:
        return None
    return max((now - intake.submitted_at).days, 0)


def is_waiting_too_long(intake: Intake, now: dt.datetime) -> bool:
    return (intake.status == Status.AWAITING_DECISION and intake.submitted_at is not None
            and now - intake.submitted_at > WAITING_TOO_LONG)


def intakes_awaiting_decision(owner, now: dt.datetime) -> QuerySet[Intake]:
    """The intakes of `owner` (a user; None: everybody's) that have waited for a
    decision for more than a week at `now`, longest waiting first: what the
    owner's weekly digest lists."""
    qs = Intake.objects.filter(status=Status.AWAITING_DECISION, submitted_at__lt=now - WAITING_TOO_LONG)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.select_related("party", "owner").order_by("submitted_at", "pk")


def can_change_intake(user, intake: Intake | None = None) -> bool:
    """Members may open intakes; an intake is changed and decided by its owner,
    whoever created it, whoever may change its party, and managers."""
    if not can_change(user):
        return False
    if intake is None or user.is_manager:
        return True
    if user.pk in (intake.owner_id, intake.created_by_id):
        return True
    return intake.party is not None and can_change(user, intake.party)


# ---------------------------------------------------------------------------
# Key terms and proposed promises


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Decimal | None:
    """A non-negative Decimal from a Decimal, int or string; None when empty. Raises ValueError otherwise."""
    if _blank(value):
        return None
    if isinstance(value, (bool, float)):
        raise ValueError(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite() or number < 0:
        raise ValueError(value)
    return number


def clean_key_terms(rows: list[dict] | None) -> tuple[list[dict], dict[str, list[str]]]:
    """The key terms without empty rows, and the errors (`key_terms.<row>.<field>`)."""
    cleaned, errors, seen = [], {}, set()
    for i, row in enumerate(rows or []):
        term = (row.get("term") or "").strip()
        definition = (row.get("definition") or "").strip()
        if not term and not definition:
            continue
        if not term:
            errors[f"key_terms.{i}.term"] = [_("Name the term this definition is for.")]
        elif not definition:
            errors[f"key_terms.{i}.definition"] = [_("Every term needs a definition.")]
        elif term.casefold() in seen:
            errors[f"key_terms.{i}.term"] = [_("This term is defined twice.")]
        seen.add(term.casefold())
        cleaned.append({"term": term, "definition": definition})
    return cleaned, errors


def glossary_of(intake: Intake) -> dict[str, str]:
    """The key terms as an agreement's glossary."""
    return {row["term"]: row["definition"] for row in intake.key_terms or []}


def _clean_promise(i: int, row: dict, errors: dict[str, list[str]]) -> dict:
    prefix = f"proposed_commitments.{i}."
    promise = {
        "key": (row.get("key") or "").strip(),
        "type": (row.get("type") or "").strip(),
        "title": (row.get("title") or "").strip(),
        "params": row.get("params") or {},
        "products": [str(p).strip() for p in row.get("products") or [] if str(p).strip()],
        "direction": row.get("direction") or Direction.WE_OWE,
    }
    if not promise["key"]:
        errors[prefix + "key"] = [_("This field is required.")]
    elif not KEY_PATTERN.match(promise["key"]):
        errors[prefix + "key"] = [_("Use letters, digits and dashes; no spaces or slashes.")]
    if not promise["title"]:
        errors[prefix + "title"] = [_("This field is required.")]
    if promise["direction"] not in Direction.values:
        errors[prefix + "direction"] = [_("Choose one of the listed directions.")]
    for name in ("cost", "occurrences"):
        try:
            number = _decimal(row.get(name))
        except ValueError:
            errors[prefix + name] = [_("Enter a number of zero or more.")]
            number = None
        promise[name] = None if number is None else str(number)
    if promise["type"] not in REGISTRY:
        errors[prefix + "type"] = [_("Unknown commitment type: %(type)s.") % {"type": promise["type"] or "—"}]
        return promise
    if not isinstance(promise["params"], dict):
        errors[prefix + "params"] = [_("Give the parameters as a mapping of names to values.")]
        return promise
    params, problems = validate_params(promise["type"], promise["params"])
    for problem in problems:
        key = prefix + "params" + (f".{problem.field}" if problem.field else "")
        errors.setdefault(key, []).append(problem.message)
    if params is not None:
        promise["params"] = params_to_data(params)
    if REGISTRY[promise["type"]].needs_products and not promise["products"]:
        errors[prefix + "products"] = [_("This type needs at least one product.")]
    return promise


def clean_proposed_commitments(rows: list[dict] | None) -> tuple[list[dict], dict[str, list[str]]]:
    """The proposed promises validated like commitments (`validate_params`), with
    normalised parameters, and the errors located as
    `proposed_commitments.<row>.<field>` (`...params.<path>` inside the parameters)."""
    cleaned, errors, keys = [], {}, set()
    for i, row in enumerate(rows or []):
        promise = _clean_promise(i, row, errors)
        if promise["key"] and promise["key"] in keys:
            errors[f"proposed_commitments.{i}.key"] = [_("Two promises have the same id.")]
        keys.add(promise["key"])
        cleaned.append(promise)
    return cleaned, errors


def commitment_data(intake: Intake) -> list[CommitmentData]:
    """The proposed promises as the register's commitments (their cost per occurrence included)."""
    return [
        CommitmentData(
            key=p["key"], type=p["type"], title=p["title"], params=p.get("params") or {},
            products=list(p.get("products") or []), direction=p.get("direction") or Direction.WE_OWE,
            cost_amount=_money_or_none(p.get("cost"), intake.currency),
        )
        for p in intake.proposed_commitments or []
    ]


def _money_or_none(value, currency: str) -> Decimal | None:
    number = _decimal(value)
    return None if number is None else round_money(number, currency)


# ---------------------------------------------------------------------------
# Cost and benefit


@dataclass(frozen=True)
class PromiseCost:
    """What one proposed promise costs a year. Amounts are exact; `rounded` is for showing."""

    key: str
    title: str
    type: str
    cost: Decimal | None  # per occurrence
    occurrences: Decimal | None  # per year
    yearly: Decimal | None  # cost × occurrences
    share_of_margin: Decimal | None  # percent of the expected margin, one decimal
    flagged: bool  # costs more than the configured share of the margin (or there is no margin to pay it)


@dataclass(frozen=True)
class CostBenefit:
    """The proposed promises' yearly cost against the expected margin."""

    currency: str
    promises: list[PromiseCost]
    total: Decimal  # yearly cost of the promises whose cost and occurrences are known
    incomplete: list[str]  # ids of promises lacking a cost or a number of occurrences
    revenue: Decimal | None
    margin: Decimal | None
    margin_after: Decimal | None  # margin − total
    share_of_margin: Decimal | None  # total in percent of the margin, one decimal
    limit: Decimal  # percent of the margin above which a promise is flagged

    @property
    def eats_margin(self) -> bool:
        """The promises cost more than the whole expected margin."""
        return self.margin_after is not None and self.margin_after < 0

    @property
    def warn(self) -> bool:
        """Some promise costs more than the configured share of the margin."""
        return any(p.flagged for p in self.promises)

    def rounded(self, amount: Decimal | None) -> Decimal | None:
        return None if amount is None else round_money(amount, self.currency)


def _share(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """`part` in percent of `whole`, rounded half-up to one decimal; None without a positive whole."""
    if whole is None or whole <= 0:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _flagged(yearly: Decimal | None, share: Decimal | None, margin: Decimal | None, limit: Decimal) -> bool:
    if yearly is None or margin is None:
        return False
    if margin <= 0:
        return yearly > 0
    return share is not None and share > limit


def cost_benefit(intake: Intake) -> CostBenefit:
    """Per proposed promise: cost per occurrence × occurrences per year, its share of
    the expected margin, and whether that share is above `PACTA_COST_SHARE_LIMIT`
    percent (the limit the profitability review flags kept promises by: the same
    question asked before committing); in total: what the margin keeps."""
    promises, incomplete, total = [], [], Decimal(0)
    margin, limit = intake.expected_margin, cost_share_limit()
    for p in intake.proposed_commitments or []:
        cost, occurrences = _safe_decimal(p.get("cost")), _safe_decimal(p.get("occurrences"))
        yearly = cost * occurrences if cost is not None and occurrences is not None else None
        if yearly is None:
            incomplete.append(p.get("key") or "")
        else:
            total += yearly
        share = None if yearly is None else _share(yearly, margin)
        promises.append(PromiseCost(
            key=p.get("key") or "", title=p.get("title") or "", type=p.get("type") or "", cost=cost,
            occurrences=occurrences, yearly=yearly, share_of_margin=share,
            flagged=_flagged(yearly, share, margin, limit),
        ))
    return CostBenefit(
        currency=intake.currency, promises=promises, total=total, incomplete=incomplete,
        revenue=intake.expected_revenue, margin=margin,
        margin_after=None if margin is None else margin - total,
        share_of_margin=_share(total, margin), limit=limit,
    )


def _safe_decimal(value) -> Decimal | None:
    try:
        return _decimal(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# What an accepted intake becomes


def suggest_reference(intake: Intake, year: int) -> str:
    """A free agreement reference for the intake's party: CODE-YEAR, else CODE-YEAR-2, -3, …"""
    base = f"{intake.party.code if intake.party else 'NEW'}-{year}"
    taken = set(Agreement.objects.filter(reference__startswith=base).values_list("reference", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# The clarification's parts in the order the negotiation note tells them.
NOTE_FIELDS = (
    "problem", "desired_situation", "goal", "purpose", "benefit", "scope_in", "scope_out", "limits",
    "req_quality", "req_efficiency", "req_security", "req_reliability", "customer_values", "customer_pays",
    "capacity", "feasibility",
)


def clarification_note(intake: Intake) -> str:
    """The intake's clarification as the text of a negotiation note (in the active language):
    what was said before the agreement, written down (Lexolve: "få ting skrevet ned")."""
    parts = [_("Clarified in the intake “%(title)s”.") % {"title": intake.title}]
    for name in NOTE_FIELDS:
        value = (getattr(intake, name) or "").strip()
        if value:
            label = str(Intake._meta.get_field(name).verbose_name)
            parts.append(f"{label[:1].upper()}{label[1:]}: {value}")
    if intake.counter_offer.strip():
        parts.append(_("Our counter-offer: %(text)s") % {"text": intake.counter_offer.strip()})
    if intake.decision_reason.strip():
        parts.append(_("Reason for the decision: %(text)s") % {"text": intake.decision_reason.strip()})
    return "\n\n".join(parts)
