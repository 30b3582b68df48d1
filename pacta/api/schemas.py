"""The API's request and response bodies, from the types the code uses.

Choices come from the models' `TextChoices` and the engine's registries, so
the OpenAPI schema names exactly the values the register stores. Every input
schema forbids unknown fields: a misspelt field is an error, not ignored.
Decimals travel as strings ("12.50"), moments as ISO 8601 with offset, dates
as ISO dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from django.urls import NoReverseMatch
from ninja import Field, Schema
from pydantic import ConfigDict, create_model

from pacta.core.commitments import REGISTRY
from pacta.core.commitments.base import EVENT_KINDS
from pacta.core.models import (
    Action,
    Agreement,
    AgreementVersion,
    ApiScope,
    Commitment,
    Deviation,
    Instance,
    WatchStatus,
)
from pacta.core.routing import responsible_for
from pacta.lib import emails


def _choices(name: str, values):
    """The stored values as a Literal type, so the schema lists them."""
    return Literal[tuple(str(v) for v in values)]


AgreementStatus = _choices("AgreementStatus", Agreement.Status.values)
AgreementRole = _choices("AgreementRole", Agreement.Role.values)
CommitmentStatus = _choices("CommitmentStatus", Commitment.Status.values)
CommitmentType = _choices("CommitmentType", sorted(REGISTRY))
Direction = _choices("Direction", ["", "we_owe", "they_owe"])
EventKind = _choices("EventKind", EVENT_KINDS)
InstanceStatus = _choices("InstanceStatus", Instance.Status.values)
ActionStatus = _choices("ActionStatus", Action.Status.values)
OpenActionStatus = _choices("OpenActionStatus", Action.OPEN_STATUSES)
ClosedActionStatus = _choices("ClosedActionStatus", [Action.Status.DONE, Action.Status.DISMISSED])
ChangeStatus = _choices("ChangeStatus", ["", *WatchStatus.values])
AgreedHow = _choices("AgreedHow", AgreementVersion.How.values)
Scope = _choices("Scope", ApiScope.values)


class Input(Schema):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def _username(user) -> str | None:
    return user.get_username() if user else None


def _decimal(value) -> str | None:
    """A stored decimal as plain text, without the storage's trailing zeros (3.000000 is "3")."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _page(obj) -> str | None:
    try:
        return emails.site_url(obj.get_absolute_url())
    except NoReverseMatch:  # a model without a page yet: no link rather than no answer
        return None


# ---------------------------------------------------------------------------
# Problems


class FieldProblem(Schema):
    """One problem: the field (a dotted path; empty for the whole); for an event batch
    the row (the event's index, from 0); for an agreement file the line."""

    field: str = ""
    message: str
    row: int | None = None
    line: int | None = None


class Problem(Schema):
    """Every refusal (4xx) reads like this: what is wrong, then each problem."""

    detail: str
    errors: list[FieldProblem] = []


# ---------------------------------------------------------------------------
# Lists and their filters (the web lists' own filter forms apply them: pacta.api.common.filtered)

Role = Literal["customer", "supplier"]
YesNo = Literal["yes", "no"]
WatchState = _choices("WatchState", WatchStatus.values)
Days = Field(None, ge=0, le=3660, description="Days from now.")


class PartyQuery(Schema):
    q: str | None = Field(None, description="Words of the code, name or city.")
    role: Role | None = None
    country: str | None = Field(None, description="ISO 3166 code.")


class AgreementQuery(Schema):
    q: str | None = Field(None, description="Words of the reference, title or party.")
    status: AgreementStatus | None = None
    role: AgreementRole | None = None
    party: str | None = Field(None, description="The party's code.")


class CommitmentQuery(Schema):
    q: str | None = Field(None, description="Words of the id or title.")
    type: CommitmentType | None = None
    status: CommitmentStatus | None = None
    evaluated: YesNo | None = None
    owner: str | None = Field(None, description='Who answers for it (username); "none": nobody.')
    party: str | None = None
    role: Role | None = None
    removed: bool = Field(False, description="Include removed commitments.")


class InstanceQuery(Schema):
    q: str | None = None
    status: WatchState | None = Field(None, description="An instance state, or at_risk (open and at risk).")
    owner: str | None = None
    party: str | None = None
    type: CommitmentType | None = None
    due_within: int | None = Days


class DeviationQuery(Schema):
    q: str | None = None
    processed: YesNo | None = Field(None, description="no: the watcher's queue.")
    new_status: WatchState | None = None
    outcome: _choices("Outcome", Deviation.Outcome.values) | None = None
    party: str | None = None
    type: CommitmentType | None = None


class ActionQuery(Schema):
    q: str | None = None
    status: Literal["open", "overdue", "in_progress", "closed", "done", "dismissed", "all"] | None = Field(
        None, description="Default: open (open or in progress).")
    owner: str | None = Field(None, description='Username; "none": unassigned.')
    mine: bool = Field(False, description="The token's user's actions and those of the away owners they stand in for.")
    party: str | None = None
    type: CommitmentType | None = None
    due_within: int | None = Days
    answered_by: str | None = Field(None, description="Actions on the commitments this user answers for.")
    commitment: str | None = Field(None, description="reference/id of one commitment.")


class EventQuery(Schema):
    q: str | None = Field(None, description="Words of the id, reference or product.")
    kind: EventKind | None = None
    party: str | None = None
    source: str | None = None
    since: dt.date | None = Field(None, description="From this day (in the server's time zone).")
    until: dt.date | None = Field(None, description="To this day, included.")



class PageQuery(Schema):
    limit: int = Field(100, ge=1, le=1000, description="How many items (at most 1,000).")
    offset: int = Field(0, ge=0, le=10**9, description="How many items to skip.")


def page_of(item: type[Schema]) -> type[Schema]:
    """The response of a list: the number of matching items and one page of them."""
    return create_model(f"{item.__name__}Page", __base__=Schema, count=(int, ...), items=(list[item], ...))


class ExportFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


class ExportQuery(Schema):
    format: ExportFormat = Field(ExportFormat.csv, description="csv or xlsx.")


# ---------------------------------------------------------------------------
# Who is asking


class TokenOut(Schema):
    name: str
    hint: str
    scopes: list[str]
    created_at: dt.datetime


class MeOut(Schema):
    username: str
    name: str
    role: str
    can_write: bool
    token: TokenOut


# ---------------------------------------------------------------------------
# Parties


class PartyOut(Schema):
    code: str
    name: str
    is_customer: bool
    is_supplier: bool
    country: str
    language: str
    timezone: str
    address: str
    postal_code: str
    city: str
    phone: str
    spoc: str | None = Field(None, description="Our single point of contact (username).")
    deputy: str | None = Field(None, description="Their deputy (username).")
    notes: str
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str | None = Field(None, description="The party's page in pacta.")

    @staticmethod
    def resolve_spoc(obj) -> str | None:
        return _username(obj.spoc)

    @staticmethod
    def resolve_deputy(obj) -> str | None:
        return _username(obj.deputy)

    @staticmethod
    def resolve_url(obj) -> str | None:
        return _page(obj)


class PartyFields(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    is_customer: bool | None = None
    is_supplier: bool | None = None
    country: str | None = Field(None, max_length=2)
    language: str | None = Field(None, max_length=8)
    timezone: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    spoc: str | None = Field(None, description="Username; empty text for nobody.")
    deputy: str | None = Field(None, description="Username; empty text for nobody.")
    notes: str | None = None


class PartyIn(PartyFields):
    code: str = Field(..., min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    name: str = Field(..., min_length=1, max_length=200)


class PartyPatch(PartyFields):
    code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    revision: int | None = Field(None, description="The revision you read; refused with 409 when it moved on.")


# ---------------------------------------------------------------------------
# Agreements and versions


class VersionOut(Schema):
    number: int
    effective_from: dt.date
    summary: str
    reason: str
    agreed_by: str
    agreed_how: str
    created_by: str | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return _username(obj.created_by)


class VersionDetail(VersionOut):
    snapshot: dict[str, Any] = Field(..., description="The whole agreement as it read in this version (the YAML document).")


class AttachmentOut(Schema):
    """A file kept with an agreement; `download` is where its bytes are."""

    id: int
    name: str = Field(..., description="The file's name as uploaded, made safe (no folders, no control characters).")
    version: int | None = Field(None, description="The number of the version it belongs to, if any.")
    size: int = Field(..., description="Bytes.")
    content_type: str = Field(..., description="As detected from the content when it was uploaded.")
    sha256: str
    description: str
    uploaded_by: str | None = None
    uploaded_at: dt.datetime
    download: str

    @staticmethod
    def resolve_version(obj) -> int | None:
        return obj.version.number if obj.version_id else None

    @staticmethod
    def resolve_uploaded_by(obj) -> str | None:
        return _username(obj.uploaded_by)

    @staticmethod
    def resolve_download(obj) -> str:
        from django.urls import reverse

        return reverse("api-v1:download_attachment", args=[obj.agreement.reference, obj.pk])


class AgreementOut(Schema):
    reference: str
    party: str
    title: str
    role: str
    currency: str
    timezone: str
    country: str
    valid_from: dt.date
    valid_to: dt.date | None
    status: str
    description: str
    owner: str | None = None
    deputy: str | None = None
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str | None = None

    @staticmethod
    def resolve_party(obj) -> str:
        return obj.party.code

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return _username(obj.owner)

    @staticmethod
    def resolve_deputy(obj) -> str | None:
        return _username(obj.deputy)

    @staticmethod
    def resolve_url(obj) -> str | None:
        return _page(obj)


class CommitmentBrief(Schema):
    key: str
    type: str
    title: str
    status: str | None
    removed: bool


class AgreementDetail(AgreementOut):
    glossary: dict[str, str]
    versions: list[VersionOut]
    commitments: list[CommitmentBrief]

    @staticmethod
    def resolve_glossary(obj) -> dict[str, str]:
        return {g.term: g.definition for g in obj.glossary.all()}

    @staticmethod
    def resolve_versions(obj) -> list:
        return list(obj.versions.select_related("created_by").order_by("number"))

    @staticmethod
    def resolve_commitments(obj) -> list[dict]:
        return [
            {"key": c.key, "type": c.type, "title": (_terms(c).title if _terms(c) else ""),
             "status": c.status if c.evaluated_at else None, "removed": c.removed_in_id is not None}
            for c in obj.commitments.prefetch_related("terms__version").order_by("key")
        ]


class VersionIn(Input):
    """An amendment: what a contractual change of an agreement in force records."""

    effective_from: dt.date
    summary: str = Field(..., min_length=1)
    reason: str = ""
    agreed_by: str = Field("", max_length=200)
    agreed_how: AgreedHow = "email"


class CostIn(Input):
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    hours: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)


class CommitmentIn(Input):
    """A commitment as in the agreement file: its terms and parameters, and who executes it."""

    type: CommitmentType
    title: str = Field(..., min_length=1, max_length=300)
    params: dict[str, Any] = Field(default_factory=dict, description="The type's parameters (docs/commitments.md).")
    products: list[str] = []
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    direction: Direction = ""
    owner: str | None = Field(None, description="Who executes it (username).")
    registrar: str | None = Field(None, description="Who registered it (username).")
    how: str = Field("", max_length=300)
    cost: CostIn | None = None


class NewCommitmentIn(CommitmentIn):
    key: str = Field(..., min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")


class AgreementIn(Input):
    reference: str = Field(..., min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    party: str = Field(..., description="The party's code.")
    valid_from: dt.date
    valid_to: dt.date | None = None
    title: str = Field("", max_length=200)
    role: AgreementRole = "customer"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    timezone: str = Field("Europe/Amsterdam", max_length=64)
    country: str = Field("", max_length=2)
    status: AgreementStatus = "draft"
    description: str = ""
    owner: str | None = None
    deputy: str | None = None
    glossary: dict[str, str] = {}
    commitments: list[NewCommitmentIn] = []


class AgreementPatch(Input):
    reference: str | None = Field(None, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    title: str | None = Field(None, max_length=200)
    role: AgreementRole | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    status: AgreementStatus | None = None
    description: str | None = None
    owner: str | None = None
    deputy: str | None = None
    revision: int | None = None
    amendment: VersionIn | None = Field(None, description="Needed for a contractual change of an agreement in force.")


class CommitmentPut(CommitmentIn):
    revision: int | None = Field(None, description="The agreement's revision you read.")
    amendment: VersionIn | None = None


class AgreementImportOut(Schema):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    parties_created: list[str]
    dry_run: bool


# ---------------------------------------------------------------------------
# Commitments, verdicts, instances


class MoneyOut(Schema):
    kind: str
    amount: str
    currency: str
    payer: str
    state: str


class VerdictOut(Schema):
    """The last evaluation: the commitment's status (null until first evaluated) and why."""

    status: str | None
    counts: dict[str, int]
    money: list[MoneyOut]
    explanation: str
    evaluated_at: dt.datetime | None
    as_of: dt.datetime | None
    next_check_at: dt.datetime | None


class CommitmentOut(Schema):
    agreement: str
    party: str
    key: str
    type: str
    title: str
    params: dict[str, Any]
    products: list[str]
    valid_from: dt.date | None
    valid_to: dt.date | None
    direction: str
    owner: str | None = Field(None, description="Who executes it.")
    registrar: str | None = None
    answered_for_by: str | None = Field(None, description="The executor, else the agreement's owner, else the party's point of contact.")
    how: str
    cost_amount: str | None
    cost_hours: str | None
    removed_in: int | None = Field(None, description="The version from which it no longer applies.")
    revision: int
    verdict: VerdictOut
    url: str | None = None

    @staticmethod
    def resolve_agreement(obj) -> str:
        return obj.agreement.reference

    @staticmethod
    def resolve_party(obj) -> str:
        return obj.agreement.party.code

    @staticmethod
    def resolve_title(obj) -> str:
        terms = _terms(obj)
        return terms.title if terms else ""

    @staticmethod
    def resolve_params(obj) -> dict:
        terms = _terms(obj)
        return terms.params if terms else {}

    @staticmethod
    def resolve_products(obj) -> list[str]:
        terms = _terms(obj)
        return [str(p) for p in terms.products] if terms else []

    @staticmethod
    def resolve_valid_from(obj):
        terms = _terms(obj)
        return terms.valid_from if terms else None

    @staticmethod
    def resolve_valid_to(obj):
        terms = _terms(obj)
        return terms.valid_to if terms else None

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return _username(obj.owner)

    @staticmethod
    def resolve_registrar(obj) -> str | None:
        return _username(obj.registrar)

    @staticmethod
    def resolve_answered_for_by(obj) -> str | None:
        return _username(responsible_for(obj))

    @staticmethod
    def resolve_cost_amount(obj) -> str | None:
        return _decimal(obj.cost_amount)

    @staticmethod
    def resolve_cost_hours(obj) -> str | None:
        return _decimal(obj.cost_hours)

    @staticmethod
    def resolve_removed_in(obj) -> int | None:
        return obj.removed_in.number if obj.removed_in_id else None

    @staticmethod
    def resolve_verdict(obj) -> dict:
        return {
            "status": obj.status if obj.evaluated_at else None, "counts": obj.counts or {}, "money": obj.money or [],
            "explanation": obj.explanation, "evaluated_at": obj.evaluated_at, "as_of": obj.as_of,
            "next_check_at": obj.next_check_at,
        }

    @staticmethod
    def resolve_url(obj) -> str | None:
        return _page(obj)


def _terms(commitment):
    """The latest terms, looked up once per commitment (lists prefetch `terms`)."""
    if not hasattr(commitment, "_api_terms"):
        terms = sorted(commitment.terms.all(), key=lambda t: t.version.number)
        commitment._api_terms = terms[-1] if terms else None
    return commitment._api_terms


class CommitmentOperationsPatch(Input):
    """What is ours, not the contract's: no new version."""

    direction: Direction | None = None
    owner: str | None = Field(None, description="Username; empty text for nobody.")
    registrar: str | None = None
    how: str | None = Field(None, max_length=300)
    cost_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_hours: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)
    revision: int | None = None


class OnCommitment(Schema):
    """A row of a commitment (instance, deviation, action): its agreement, commitment id and party."""

    agreement: str
    commitment: str
    party: str

    @staticmethod
    def resolve_agreement(obj) -> str:
        return obj.commitment.agreement.reference

    @staticmethod
    def resolve_commitment(obj) -> str:
        return obj.commitment.key

    @staticmethod
    def resolve_party(obj) -> str:
        return obj.commitment.agreement.party.code


class InstanceOut(OnCommitment):
    key: str
    status: str
    health: str
    due: dt.datetime | None
    done: dt.datetime | None
    days_late: int | None
    money: list[MoneyOut]
    explanation: str


# ---------------------------------------------------------------------------
# Events


class EventIn(Input):
    """One fact, with the columns of an event file (COMMITMENTS.md section 2).

    Values may be text, numbers, true/false or null; they are checked exactly
    as a file's cells are (docs/event-files.md)."""

    id: str | int = Field(..., description="The fact's id in its source; sending it again changes nothing.")
    kind: EventKind
    party: str = Field(..., description="The customer's or supplier's code.")
    at: str = Field(..., description="2025-03-01 or 2025-03-01T09:30:00+01:00.")
    ref: str | int | None = None
    product: str | int | None = None
    quantity: str | float | None = None
    unit_price: str | float | None = None
    discount: str | float | None = Field(None, description="A fraction from 0 to 1.")
    list_price: str | float | None = None
    amount: str | float | None = None
    currency: str | None = None
    due: str | None = None
    force_majeure: bool | str | None = None


class EventBatchIn(Input):
    source: str = Field("api", min_length=1, max_length=64,
                        description="Where the facts come from; ids are unique per source.")
    events: list[EventIn] = Field(..., min_length=1, max_length=10_000)


class EvaluationOut(Schema):
    evaluated: int
    statuses: dict[str, int]


class EventBatchOut(Schema):
    batch: int
    source: str
    rows: int
    created: int
    unchanged: int
    evaluation: EvaluationOut | None = Field(None, description="The re-evaluation of the commitments the new events touch.")


class EventOut(Schema):
    source: str
    id: str
    kind: str
    party: str
    at: str
    ref: str
    product: str
    quantity: str | None
    unit_price: str | None
    discount: str | None
    list_price: str | None
    amount: str | None
    currency: str
    due: str | None
    force_majeure: bool
    batch: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.external_id

    @staticmethod
    def resolve_party(obj) -> str:
        return obj.party.code

    @staticmethod
    def resolve_at(obj) -> str:
        return _event_moment(obj.at, obj.date_only)

    @staticmethod
    def resolve_due(obj) -> str | None:
        return _event_moment(obj.due, obj.due_date_only) if obj.due else None

    @staticmethod
    def resolve_batch(obj) -> int | None:
        return obj.batch_id

    @staticmethod
    def resolve_quantity(obj):
        return _decimal(obj.quantity)

    @staticmethod
    def resolve_unit_price(obj):
        return _decimal(obj.unit_price)

    @staticmethod
    def resolve_discount(obj):
        return _decimal(obj.discount)

    @staticmethod
    def resolve_list_price(obj):
        return _decimal(obj.list_price)

    @staticmethod
    def resolve_amount(obj):
        return _decimal(obj.amount)


def _event_moment(value: dt.datetime, date_only: bool) -> str:
    """As it was given: a date stays a date (stored at 00:00 UTC), a moment is ISO 8601 in UTC."""
    return value.astimezone(dt.timezone.utc).date().isoformat() if date_only else value.isoformat()


# ---------------------------------------------------------------------------
# Deviations and actions


class DeviationOut(OnCommitment):
    id: int
    type: str
    instance: str = Field(..., description="Empty for the commitment as a whole.")
    old_status: str
    new_status: str
    reason: str
    evidence: dict[str, Any]
    money: list[MoneyOut]
    at: dt.datetime
    created_at: dt.datetime
    processed_at: dt.datetime | None
    outcome: str
    action: int | None

    @staticmethod
    def resolve_type(obj) -> str:
        return obj.commitment.type

    @staticmethod
    def resolve_instance(obj) -> str:
        return obj.instance_key

    @staticmethod
    def resolve_action(obj) -> int | None:
        return obj.action_id


class ActionOut(OnCommitment):
    id: int
    instance: str
    title: str
    description: str
    owner: str | None
    routing: str
    meant_for: str | None
    status: str
    due_on: dt.date
    opened_at: dt.datetime
    opened_by: str | None
    closed_at: dt.datetime | None
    closed_by: str | None
    resolution: str
    revision: int
    url: str | None = None

    @staticmethod
    def resolve_instance(obj) -> str:
        return obj.instance_key

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return _username(obj.owner)

    @staticmethod
    def resolve_meant_for(obj) -> str | None:
        return _username(obj.meant_for)

    @staticmethod
    def resolve_opened_by(obj) -> str | None:
        return _username(obj.opened_by)

    @staticmethod
    def resolve_closed_by(obj) -> str | None:
        return _username(obj.closed_by)

    @staticmethod
    def resolve_url(obj) -> str | None:
        return _page(obj)


class ActionIn(Input):
    agreement: str
    commitment: str = Field(..., description="The commitment's id in the agreement.")
    instance: str = Field("", max_length=128, description="Empty for the commitment as a whole.")
    title: str = Field("", max_length=300, description="Empty: the commitment's title and the instance.")
    description: str = ""
    owner: str | None = Field(None, description="Username; without it the action is routed to the executor or a stand-in.")
    due_on: dt.date | None = None


class ActionPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    owner: str | None = Field(None, description="Username; empty text: unassigned.")
    due_on: dt.date | None = None
    status: OpenActionStatus | None = Field(None, description="open or in_progress; a closed action is reopened by open.")
    revision: int | None = None


class WaiverIn(Input):
    reason: str = Field(..., min_length=1)
    granted_by: str = Field(..., min_length=1, max_length=200)
    at: dt.datetime | None = None


class ResolveIn(Input):
    status: ClosedActionStatus = "done"
    resolution: str = ""
    waiver: WaiverIn | None = Field(None, description="The other side released the action's instance.")
    revision: int | None = None


# ---------------------------------------------------------------------------
# Webhook bodies (pacta.core.webhooks)


class WebhookBody(Schema):
    """What a webhook posts: the topic, when it happened, and the deviation or action (as the API returns it)."""

    topic: Literal["deviation.recorded", "action.opened", "action.changed", "action.resolved"]
    at: dt.datetime
    deviation: DeviationOut | None = None
    action: ActionOut | None = None
    by: str | None = Field(None, description="Who changed the action (username); null for the watcher.")
    changes: dict[str, Any] | None = Field(None, description="What changed, as in the audit log.")
