"""Commitments with their verdicts, and their instances."""

from __future__ import annotations

from ninja import Query, Router

from pacta.api import auth
from pacta.api.common import EXPORT_RESPONSES, REFUSALS, export, filtered, get_or_404, page, require_change, user_named
from pacta.api.schemas import (
    CommitmentOperationsPatch,
    CommitmentOut,
    CommitmentQuery,
    ExportQuery,
    InstanceOut,
    InstanceQuery,
    PageQuery,
    page_of,
)
from pacta.core.actions.register import do_update_commitment_operations
from pacta.core.models import Commitment, Instance
from pacta.front.filters import CommitmentFilter, current_title
from pacta.front.views.commitments import COMMITMENT_COLUMNS
from pacta.front.views.watch import INSTANCE_COLUMNS
from pacta.front.watch_forms import InstanceFilter

router = Router(tags=["commitments"])




def commitments():
    return (
        Commitment.objects.select_related(
            "agreement", "agreement__party", "agreement__owner", "agreement__party__spoc", "owner", "registrar",
            "removed_in")
        .prefetch_related("terms__version").annotate(title_now=current_title())
        .order_by("agreement__reference", "key")
    )


def commitment_row(reference: str, key: str) -> Commitment:
    return get_or_404(commitments(), "commitment", f"{reference}/{key}", agreement__reference=reference, key=key)


def instances():
    return Instance.objects.select_related("commitment__agreement__party").order_by(
        "commitment__agreement__reference", "commitment__key", "due", "key")


@router.get("/commitments", response={200: page_of(CommitmentOut), **REFUSALS}, auth=auth.READ)
def list_commitments(request, query: Query[CommitmentQuery], paging: Query[PageQuery]):
    """Commitments with their latest terms and verdict. The filters are the web list's: `status` (open,
    at_risk, broken, kept), `owner` (who answers for it; "none": nobody), `party`, `type`, `role`,
    `evaluated` (yes/no), `removed` (include removed ones)."""
    return page(filtered(CommitmentFilter, query, commitments()), paging)


@router.get("/commitments/export", response={**REFUSALS}, auth=auth.READ,
            openapi_extra={"responses": EXPORT_RESPONSES})
def export_commitments(request, query: Query[CommitmentQuery], fmt: Query[ExportQuery]):
    """The commitments with their status, as CSV or XLSX (the web list's export)."""
    return export(filtered(CommitmentFilter, query, commitments()), COMMITMENT_COLUMNS, "commitments", fmt.format)


@router.get("/commitments/{reference}/{key}", response={200: CommitmentOut, **REFUSALS}, auth=auth.READ)
def get_commitment(request, reference: str, key: str):
    """One commitment: its latest terms and its verdict (status, counts, money at stake, explanation)."""
    return commitment_row(reference, key)


@router.patch("/commitments/{reference}/{key}", response={200: CommitmentOut, **REFUSALS}, auth=auth.ADMIN)
def update_commitment_operations(request, reference: str, key: str, body: CommitmentOperationsPatch):
    """Change who executes or registered it, how it reaches the work process, what it costs (no new version).
    Its terms change through PUT /agreements/{reference}/commitments/{key}."""
    commitment = commitment_row(reference, key)
    require_change(request, commitment)
    fields = body.dict(exclude_unset=True, exclude={"revision"})
    for name in ("owner", "registrar"):
        if name in fields:
            fields[name] = user_named(fields[name], name)
    if "direction" in fields:
        fields["direction"] = fields["direction"] or ""
    if "how" in fields:
        fields["how"] = fields["how"] or ""
    do_update_commitment_operations(commitment, acting_user=request.user, expected_revision=body.revision, **fields)
    return commitment_row(reference, key)


@router.get("/commitments/{reference}/{key}/instances", response={200: page_of(InstanceOut), **REFUSALS},
            auth=auth.READ)
def list_commitment_instances(request, reference: str, key: str, paging: Query[PageQuery]):
    """The things owed under one commitment, as of its last evaluation."""
    commitment = commitment_row(reference, key)
    return page(instances().filter(commitment=commitment), paging)


@router.get("/instances", response={200: page_of(InstanceOut), **REFUSALS}, auth=auth.READ, tags=["instances"])
def list_instances(request, query: Query[InstanceQuery], paging: Query[PageQuery]):
    """Instances of every commitment; `status` is an instance state or at_risk (open and at risk),
    `due_within` days from now."""
    return page(filtered(InstanceFilter, query, instances()), paging)


@router.get("/instances/export", response={**REFUSALS}, auth=auth.READ, tags=["instances"],
            openapi_extra={"responses": EXPORT_RESPONSES})
def export_instances(request, query: Query[InstanceQuery], fmt: Query[ExportQuery]):
    return export(filtered(InstanceFilter, query, instances()), INSTANCE_COLUMNS, "instances", fmt.format)
