"""Events: the ERP's facts in (batches of up to 10,000, idempotent, all or nothing) and out."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Query, Router
from ninja.errors import HttpError

from pacta.api import auth
from pacta.api.common import (
    EXPORT_RESPONSES,
    JSON,
    REFUSALS,
    TooLarge,
    accepts,
    export,
    filtered,
    get_or_404,
    json_body,
    page,
)
from pacta.api.schemas import EventBatchIn, EventBatchOut, EventOut, EventQuery, ExportQuery, PageQuery, page_of
from pacta.core.actions.events import do_import_events
from pacta.core.actions.register import RegisterError
from pacta.core.imports import ImportErrors, read_event_records
from pacta.core.models import Event, Party
from pacta.front.integration_forms import EventFilter
from pacta.front.views.integrations import EVENT_COLUMNS

router = Router(tags=["events"])
MAX_BATCH = 10_000
SOURCE_LENGTH = 64
BATCH_KEYS = ("source", "events")



class BatchRefused(HttpError):
    """Some rows of a batch have problems: nothing was stored. `issues` say which rows and why."""

    def __init__(self, errors: ImportErrors, total: int):
        count = len(errors.issues)
        super().__init__(422, ngettext(
            "Nothing was stored: the batch of %(total)s events has %(count)s problem, listed with its row "
            "(the event's index, from 0).",
            "Nothing was stored: the batch of %(total)s events has %(count)s problems, listed with their rows "
            "(the event's index, from 0).", count) % {"count": count, "total": total})
        self.issues = errors.issues


def events():
    return Event.objects.select_related("party").order_by("at", "id")


def _envelope(data) -> tuple[str, list]:
    """The batch's source and events, or a refusal that says what is wrong with its shape."""
    if not isinstance(data, dict):
        raise RegisterError({"": [_("Send an object with the fields source and events.")]})
    unknown = [k for k in data if k not in BATCH_KEYS]
    if unknown:
        raise RegisterError({k: [_("Unknown field; expected source and events.")] for k in unknown})
    source, records = data.get("source", "api"), data.get("events")
    if not isinstance(source, str) or not source.strip() or len(source) > SOURCE_LENGTH:
        raise RegisterError({"source": [_("Enter the source as text of 1 to %(limit)s characters.")
                                        % {"limit": SOURCE_LENGTH}]})
    if not isinstance(records, list) or not records:
        raise RegisterError({"events": [_("Give the events as a list of 1 to %(limit)s objects.")
                                        % {"limit": f"{MAX_BATCH:,}"}]})
    if len(records) > MAX_BATCH:
        raise TooLarge(_("At most %(limit)s events per batch; this one has %(count)s. Send them in several batches.")
                       % {"limit": f"{MAX_BATCH:,}", "count": f"{len(records):,}"})
    return source.strip(), records


BATCH_BODY = {"required": True, "content": {JSON: {"schema": {"$ref": "#/components/schemas/EventBatchIn"}}}}


@router.post("/events", response={200: EventBatchOut, **REFUSALS}, auth=auth.EVENTS,
             openapi_extra={"requestBody": BATCH_BODY})
@accepts(JSON)
def post_events(request, evaluate: Literal["now", "later"] = "now"):
    """Store a batch of up to 10,000 events (`EventBatchIn`), all or nothing.

    Each event is checked as a row of an event file is (docs/event-files.md).
    Events are idempotent by (source, id): an id sent again with the same
    content is counted `unchanged`; with other content it is refused (events
    are facts; a correction is a new event). When any row has a problem,
    nothing is stored and the answer (422) lists every problem with its row.
    The commitments the new events touch are re-evaluated before the answer;
    with `evaluate=later` (loading a long history in many batches) they are
    marked due and the watcher re-evaluates them in its next pass.
    """
    source, records = _envelope(json_body(request))
    # A party that is no single value (a list, an object) is refused row by row by read_event_records.
    codes = {str(r["party"]) for r in records if type(r) is dict and isinstance(r.get("party"), (str, int, Decimal))}
    known = set(Party.objects.filter(code__in=codes).values_list("code", flat=True))
    try:
        frame = read_event_records(records, source_name="events", event_source=source, known_parties=known,
                                   with_lines=True)
        batch = do_import_events(frame, source=source, filename="api", acting_user=request.user,
                                 evaluate=evaluate == "now")
    except ImportErrors as errors:
        raise BatchRefused(errors, len(records)) from None
    summary = batch.evaluation
    return {
        "batch": batch.pk, "source": source, "rows": batch.rows, "created": batch.created,
        "unchanged": batch.unchanged,
        "evaluation": {"evaluated": summary.evaluated, "statuses": summary.statuses} if summary else None,
    }


@router.get("/events", response={200: page_of(EventOut), **REFUSALS}, auth=auth.READ)
def list_events(request, query: Query[EventQuery], paging: Query[PageQuery]):
    """The event log, oldest first; `since`/`until` are days (YYYY-MM-DD, both included)."""
    return page(filtered(EventFilter, query, events()), paging)


@router.get("/events/export", response={**REFUSALS}, auth=auth.READ, openapi_extra={"responses": EXPORT_RESPONSES})
def export_events(request, query: Query[EventQuery], fmt: Query[ExportQuery]):
    """The event log as an event file (CSV or XLSX) with the canonical columns: it can be imported again."""
    return export(filtered(EventFilter, query, events()), EVENT_COLUMNS, "events", fmt.format)


@router.get("/events/{source}/{id}", response={200: EventOut, **REFUSALS}, auth=auth.READ)
def get_event(request, source: str, id: str):
    return get_or_404(events(), "event", f"{source}/{id}", source=source, external_id=id)


__all__ = ["EventBatchIn", "router"]
