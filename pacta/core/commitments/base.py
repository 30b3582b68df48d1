"""The contract between the register and the engine.

A commitment type is one small class (STYLE.md habit 4): a pydantic parameter
schema and a pure evaluation `(spec, events, as_of) -> Result` that writes
nothing and depends only on its arguments, so a verdict can be replayed "as of"
any moment from the event log.

Events reach the engine as a polars DataFrame with the columns of
`EVENT_SCHEMA` (one row per fact, see COMMITMENTS.md section 2), whether they
come from files (file mode) or from the database (database mode).
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring as _json_text  # json.dumps of a str (ensure_ascii=False), in C
from typing import Any, ClassVar

import polars as pl
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, ValidationError

# ---------------------------------------------------------------------------
# Events as the engine sees them

DECIMAL = pl.Decimal(38, 6)
UTC_DATETIME = pl.Datetime("us", "UTC")

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8,
    "id": pl.Utf8,
    "kind": pl.Utf8,
    "party": pl.Utf8,
    "at": UTC_DATETIME,  # for a date-only fact: that date at 00:00 UTC
    "date_only": pl.Boolean,
    "ref": pl.Utf8,
    "product": pl.Utf8,
    "quantity": DECIMAL,
    "unit_price": DECIMAL,
    "discount": DECIMAL,  # fraction 0-1
    "list_price": DECIMAL,
    "amount": DECIMAL,  # filled from quantity x unit_price x (1 - discount) when empty
    "currency": pl.Utf8,
    "due": UTC_DATETIME,
    "due_date_only": pl.Boolean,
    "force_majeure": pl.Boolean,
}

EVENT_KINDS = (
    "order",
    "delivery",
    "invoice",
    "payment",
    "credit_note",
    "notice",
    "update",
    "ticket_opened",
    "ticket_answered",
    "ticket_resolved",
    "purchase_order",
    "receipt",
    "meeting",
    "attestation",
)


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


# ---------------------------------------------------------------------------
# Shared parameter vocabulary


class Period(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"


class Align(StrEnum):
    CALENDAR = "calendar"
    AGREEMENT = "agreement"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAY_INDEX = {d: i for i, d in enumerate(Weekday)}  # mon = 0, as datetime.weekday()


class Basis(StrEnum):
    INVOICE = "invoice"
    ORDER = "order"
    DELIVERY = "delivery"


class Measure(StrEnum):
    QUANTITY = "quantity"
    AMOUNT = "amount"


class Params(BaseModel):
    """Base of every type's parameter schema: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# ---------------------------------------------------------------------------
# What the engine is given and what it returns


@dataclass(frozen=True)
class TermsSegment:
    """The terms of a commitment from `effective_from` on (one agreement version)."""

    effective_from: dt.date
    version: int
    title: str
    params: Params
    products: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    removed: bool = False  # from this version on the commitment no longer applies


@dataclass(frozen=True)
class Spec:
    """Everything the engine needs to evaluate one commitment, without a database."""

    agreement: str
    party: str
    role: str  # customer | supplier
    currency: str
    timezone: str
    country: str  # ISO code for public holidays ("" = none)
    agreement_from: dt.date
    agreement_to: dt.date | None
    commitment: str  # the commitment's id within the agreement
    type: str
    segments: tuple[TermsSegment, ...]  # oldest first; at least one
    waivers: frozenset[str] = frozenset()  # waived instance keys
    pauses: tuple[tuple[dt.datetime, dt.datetime | None], ...] = ()  # force majeure / on hold

    @property
    def terms(self) -> TermsSegment:
        """The latest terms."""
        return self.segments[-1]

    def terms_on(self, day: dt.date) -> TermsSegment | None:
        """The terms in force on `day` (None before the first version took effect)."""
        found = None
        for seg in self.segments:
            if seg.effective_from <= day:
                found = seg
        if found is None:
            return self.segments[0]  # events before the first version: the first terms govern
        return found

    @property
    def valid_from(self) -> dt.date:
        return self.terms.valid_from or self.agreement_from

    @property
    def valid_to(self) -> dt.date | None:
        return self.terms.valid_to or self.agreement_to


class InstanceStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    KEPT_LATE = "kept_late"
    OVERDUE = "overdue"
    BROKEN = "broken"
    WAIVED = "waived"
    LAPSED = "lapsed"


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"


class MoneyKind(StrEnum):
    PENALTY = "penalty"
    REBATE = "rebate"
    INTEREST = "interest"
    FEE = "fee"
    PRICE_CORRECTION = "price_correction"
    SHORTFALL = "shortfall"
    OVERCHARGE = "overcharge"
    SERVICE_CREDIT = "service_credit"


class MoneyState(StrEnum):
    ACCRUED = "accrued"
    PROJECTED = "projected"
    DUE = "due"
    PAID = "paid"


@dataclass
class MoneyItem:
    kind: MoneyKind
    amount: Decimal  # exact; rounded only when written out
    currency: str
    payer: str  # "us" | "them"
    state: MoneyState


@dataclass
class InstanceResult:
    """One instance's verdict. `due`/`done` are a date when the deadline is a
    whole day (COMMITMENTS.md section 2), else an aware datetime."""

    key: str
    status: InstanceStatus
    due: dt.date | dt.datetime | None = None
    done: dt.date | dt.datetime | None = None
    days_late: int | None = None
    health: Health | None = None
    money: list[MoneyItem] = field(default_factory=list)
    explanation: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # figures for charts (not part of the JSON contract)


COMMITMENT_STATUSES = ("open", "at_risk", "broken", "kept")


@dataclass
class Result:
    agreement: str
    party: str
    commitment: str
    type: str
    status: str  # open | at_risk | broken | kept (COMMITMENTS.md section 1)
    counts: dict[str, int]
    money: list[MoneyItem]
    instances: list[InstanceResult]
    explanation: str
    next_check_at: dt.datetime | None = None  # the next moment the verdict can change without new events
    data: dict[str, Any] = field(default_factory=dict)  # figures for charts


# ---------------------------------------------------------------------------
# Roll-up and output, shared by every type


INSTANCE_STATUSES = tuple(s.value for s in InstanceStatus)
_BREACH = {InstanceStatus.BROKEN, InstanceStatus.OVERDUE, InstanceStatus.KEPT_LATE}


def rollup_status(instances: list[InstanceResult]) -> str:
    """A commitment's summary status: the worst of its instances (COMMITMENTS.md section 1).

    broken (any broken, overdue or kept_late), else at_risk (any open instance at
    risk), else open (something still to come, or no instance yet), else kept.
    Waived and lapsed instances never make a status worse.
    """
    if any(i.status in _BREACH for i in instances):
        return "broken"
    if any(i.status == InstanceStatus.OPEN and i.health == Health.AT_RISK for i in instances):
        return "at_risk"
    if not instances or any(i.status == InstanceStatus.OPEN for i in instances):
        return "open"
    return "kept"


def count_statuses(instances: list[InstanceResult]) -> dict[str, int]:
    counts = dict.fromkeys(INSTANCE_STATUSES, 0)
    # StrEnum members hash like their strings, so one Counter pass serves both.
    counts.update(Counter(i.status for i in instances))
    return {k: counts[k] for k in INSTANCE_STATUSES}


def sum_money(items) -> list[MoneyItem]:
    """Add up money items of the same kind, currency, payer and state (exactly, unrounded)."""
    totals: dict[tuple, Decimal] = {}
    for m in items:
        key = (MoneyKind(m.kind), m.currency, m.payer, MoneyState(m.state))
        totals[key] = totals.get(key, Decimal(0)) + m.amount
    return [MoneyItem(kind, amount, cur, payer, state) for (kind, cur, payer, state), amount in totals.items()]


def make_result(spec: Spec, instances: list[InstanceResult], explanation: str, *,
                money: list[MoneyItem] | None = None, next_check_at: dt.datetime | None = None,
                data: dict[str, Any] | None = None) -> Result:
    """Build a Result from instance verdicts: status and counts rolled up, money
    summed from the instances unless given."""
    if money is None:
        money = sum_money(m for i in instances for m in i.money)
    return Result(
        agreement=spec.agreement, party=spec.party, commitment=spec.commitment, type=spec.type,
        status=rollup_status(instances), counts=count_statuses(instances), money=money,
        instances=instances, explanation=explanation, next_check_at=next_check_at, data=data or {},
    )


def money_to_json(item: MoneyItem) -> dict[str, str]:
    from pacta.lib.money import round_money

    return {
        "kind": str(item.kind), "amount": str(round_money(item.amount, item.currency)),
        "currency": item.currency, "payer": item.payer, "state": str(item.state),
    }


def instance_to_json(inst: InstanceResult) -> dict[str, Any]:
    # Called for every instance of a file-mode run (half a million): the moments inline.
    due, done = inst.due, inst.done
    return {
        "key": inst.key, "status": str(inst.status), "due": None if due is None else due.isoformat(),
        "done": None if done is None else done.isoformat(), "days_late": inst.days_late,
        "health": str(inst.health) if inst.health else None,
        "money": [money_to_json(m) for m in inst.money] if inst.money else [], "explanation": inst.explanation,
    }


def result_to_json(result: Result, *, instances: bool = True) -> dict[str, Any]:
    """The JSON shape of COMMITMENTS.md section 5 for one commitment."""
    doc = {
        "agreement": result.agreement, "party": result.party, "commitment": result.commitment,
        "type": result.type, "status": result.status, "counts": result.counts,
        "money": [money_to_json(m) for m in result.money],
    }
    if instances:
        doc["instances"] = [instance_to_json(i) for i in result.instances]
    doc["explanation"] = result.explanation
    return doc


def result_json_text(result: Result) -> str:
    """`json.dumps(result_to_json(result), ensure_ascii=False)`, written without building a dict
    per instance (half the time for the half a million instances of a file-mode run)."""
    doc = result_to_json(result, instances=False)
    explanation = doc.pop("explanation")
    head = json.dumps(doc, ensure_ascii=False)[:-1]  # without its closing brace
    instances = ", ".join(map(_instance_json_text, result.instances))
    return f'{head}, "instances": [{instances}], "explanation": {_json_text(explanation)}}}'


def _instance_json_text(inst: InstanceResult) -> str:
    """The JSON text of `instance_to_json(inst)`, key for key."""
    due, done, health, days_late = inst.due, inst.done, inst.health, inst.days_late
    money = json.dumps([money_to_json(m) for m in inst.money], ensure_ascii=False) if inst.money else "[]"
    return (
        f'{{"key": {_json_text(inst.key)}, "status": {_json_text(str(inst.status))}, '
        f'"due": {"null" if due is None else _json_text(due.isoformat())}, '
        f'"done": {"null" if done is None else _json_text(done.isoformat())}, '
        f'"days_late": {"null" if days_late is None else int(days_late)}, '
        f'"health": {_json_text(str(health)) if health else "null"}, "money": {money}, '
        f'"explanation": {_json_text(inst.explanation)}}}'
    )


# ---------------------------------------------------------------------------
# The type registry


class CommitmentType(ABC):
    """One kind of promise. Subclasses set the class attributes and `evaluate_many`."""

    name: ClassVar[str]
    label: ClassVar[Any]  # lazy translated name
    help: ClassVar[Any]  # lazy translated one-line explanation
    Params: ClassVar[type[Params]]
    # Event kinds the type reads, by agreement role; used to find the
    # commitments that new events touch.
    reads: ClassVar[dict[str, tuple[str, ...]]] = {}
    needs_products: ClassVar[bool] = False

    @abstractmethod
    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        """Evaluate commitments of this type together (set-based), one Result per spec in order.

        `events` holds at least every event of the specs' parties with `at` <=
        `as_of` (it may hold more; the type filters). Pure: no database, no clock.
        """

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        """Evaluate one commitment: `evaluate_many` of one."""
        return self.evaluate_many([spec], events, as_of)[0]

    def kinds_read(self, role: str) -> tuple[str, ...]:
        return self.reads.get(role, ())


REGISTRY: dict[str, CommitmentType] = {}


def register(cls: type[CommitmentType]) -> type[CommitmentType]:
    REGISTRY[cls.name] = cls()
    return cls


class UnknownType(KeyError):
    pass


def get_type(name: str) -> CommitmentType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownType(name) from None


# ---------------------------------------------------------------------------
# Parameter validation with translated, located messages


class FieldValueError(ValueError):
    """Raised by a schema's cross-field check to name the field the message belongs to,
    so that forms show it next to that field (`raise FieldValueError("to", message)`)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path inside the parameters, e.g. "penalty.percent" or "tiers.1.rate"
    message: str  # translated


_PYDANTIC_MESSAGES = {
    "missing": gettext_noop("This field is required."),
    "extra_forbidden": gettext_noop("Unknown field."),
    "int_parsing": gettext_noop("Enter a whole number."),
    "int_type": gettext_noop("Enter a whole number."),
    "int_from_float": gettext_noop("Enter a whole number."),
    "decimal_parsing": gettext_noop("Enter a number."),
    "decimal_type": gettext_noop("Enter a number."),
    "float_parsing": gettext_noop("Enter a number."),
    "bool_parsing": gettext_noop("Enter true or false."),
    "bool_type": gettext_noop("Enter true or false."),
    "enum": gettext_noop("Choose one of: %(expected)s."),
    "literal_error": gettext_noop("Choose one of: %(expected)s."),
    "greater_than": gettext_noop("Must be greater than %(gt)s."),
    "greater_than_equal": gettext_noop("Must be at least %(ge)s."),
    "less_than": gettext_noop("Must be less than %(lt)s."),
    "less_than_equal": gettext_noop("Must be at most %(le)s."),
    "time_delta_parsing": gettext_noop("Enter an ISO 8601 duration such as PT1H or P14D."),
    "time_delta_type": gettext_noop("Enter an ISO 8601 duration such as PT1H or P14D."),
    "time_parsing": gettext_noop("Enter a time such as 08:00."),
    "time_type": gettext_noop("Enter a time such as 08:00."),
    "date_parsing": gettext_noop("Enter a date such as 2025-03-01."),
    "date_from_datetime_parsing": gettext_noop("Enter a date such as 2025-03-01."),
    "date_type": gettext_noop("Enter a date such as 2025-03-01."),
    "datetime_parsing": gettext_noop("Enter a date or a timestamp with offset."),
    "datetime_from_date_parsing": gettext_noop("Enter a date or a timestamp with offset."),
    "list_type": gettext_noop("Enter a list."),
    "string_type": gettext_noop("Enter text."),
    "too_short": gettext_noop("Enter at least %(min_length)s item(s)."),
    "model_type": gettext_noop("Enter a group of fields."),
    "model_attributes_type": gettext_noop("Enter a group of fields."),
    "dict_type": gettext_noop("Enter a group of fields."),
}


def validate_params(type_name: str, data: dict[str, Any] | None) -> tuple[Params | None, list[FieldError]]:
    """Validate raw parameters for a type; return the parsed params or located, translated errors."""
    from django.utils.translation import gettext

    ctype = get_type(type_name)
    try:
        return ctype.Params.model_validate(data or {}), []
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"])
            raised = (err.get("ctx") or {}).get("error")
            if isinstance(raised, FieldValueError):
                path = ".".join(p for p in (path, raised.field) if p)
            template = _PYDANTIC_MESSAGES.get(err["type"])
            if template is None:
                # Our own validators raise ValueError with an already-translated message.
                msg = str(err.get("ctx", {}).get("error", err["msg"]))
            else:
                ctx = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                       for k, v in (err.get("ctx") or {}).items()}
                if "expected" in ctx and isinstance(ctx["expected"], str):
                    ctx["expected"] = ctx["expected"].replace("'", "")
                msg = gettext(template) % ctx if "%(" in template else gettext(template)
            errors.append(FieldError(path, msg))
        return None, errors


def params_to_data(params: Params) -> dict[str, Any]:
    """Params as plain YAML/JSON data (aliases, ISO durations, strings for decimals)."""
    return params.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)


__all__ = [
    "INSTANCE_STATUSES",
    "count_statuses",
    "instance_to_json",
    "make_result",
    "money_to_json",
    "result_to_json",
    "rollup_status",
    "sum_money",
    "Align",
    "Basis",
    "CommitmentType",
    "EVENT_KINDS",
    "EVENT_SCHEMA",
    "FieldError",
    "FieldValueError",
    "Health",
    "InstanceResult",
    "InstanceStatus",
    "Measure",
    "MoneyItem",
    "MoneyKind",
    "MoneyState",
    "Params",
    "Period",
    "REGISTRY",
    "Result",
    "Spec",
    "TermsSegment",
    "Weekday",
    "_",
    "get_type",
    "params_to_data",
    "register",
    "validate_params",
]
