"""Deviations (the watcher's record of changes) and actions (their follow-up)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from pacta.api import auth
from pacta.api.common import EXPORT_RESPONSES, REFUSALS, export, filtered, get_or_404, page, user_named
from pacta.api.routers.commitments import commitment_row
from pacta.api.schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionQuery,
    DeviationOut,
    DeviationQuery,
    ExportQuery,
    PageQuery,
    ResolveIn,
    page_of,
)
from pacta.core.actions.watch import (
    WaiverData,
    can_change_action,
    do_open_action,
    do_resolve_action,
    do_update_action,
)
from pacta.core.models import Action, Deviation
from pacta.core.permissions import can_change
from pacta.front.views.watch import ACTION_COLUMNS, DEVIATION_COLUMNS
from pacta.front.watch_forms import ActionFilter, DeviationFilter

router = Router()




def deviations():
    return Deviation.objects.select_related("commitment__agreement__party").order_by("-at", "-id")


def actions():
    return Action.objects.select_related(
        "commitment__agreement__party", "owner", "meant_for", "opened_by", "closed_by").order_by("due_on", "id")


def _action(pk: int) -> Action:
    return get_or_404(actions(), "action", pk, pk=pk)


def _rw_action(request, pk: int) -> Action:
    action = _action(pk)
    if not can_change_action(request.user, action):
        raise PermissionDenied(_("The token's user may look at this action, but not work on it."))
    return action


# ---------------------------------------------------------------------------
# deviations


@router.get("/deviations", response={200: page_of(DeviationOut), **REFUSALS}, auth=auth.READ, tags=["deviations"])
def list_deviations(request, query: Query[DeviationQuery], paging: Query[PageQuery]):
    """Changes into or out of at risk, overdue, broken or kept late, newest first; `processed` (yes/no)
    narrows to the watcher's queue, `new_status` to what they became."""
    return page(filtered(DeviationFilter, query, deviations()), paging)


@router.get("/deviations/export", response={**REFUSALS}, auth=auth.READ, tags=["deviations"],
            openapi_extra={"responses": EXPORT_RESPONSES})
def export_deviations(request, query: Query[DeviationQuery], fmt: Query[ExportQuery]):
    return export(filtered(DeviationFilter, query, deviations()), DEVIATION_COLUMNS, "deviations", fmt.format)


@router.get("/deviations/{id}", response={200: DeviationOut, **REFUSALS}, auth=auth.READ, tags=["deviations"])
def get_deviation(request, id: int):
    return get_or_404(deviations(), "deviation", id, pk=id)


# ---------------------------------------------------------------------------
# actions


@router.get("/actions", response={200: page_of(ActionOut), **REFUSALS}, auth=auth.READ, tags=["actions"])
def list_actions(request, query: Query[ActionQuery], paging: Query[PageQuery]):
    """Actions by due date; without `status` the open ones (open or in progress). `status`: open, overdue,
    in_progress, closed, done, dismissed or all; `owner` a username ("none": unassigned); `mine` the
    token's user's own and those of the away owners they stand in for."""
    return page(filtered(ActionFilter, query, actions(), user=request.user), paging)


@router.get("/actions/export", response={**REFUSALS}, auth=auth.READ, tags=["actions"],
            openapi_extra={"responses": EXPORT_RESPONSES})
def export_actions(request, query: Query[ActionQuery], fmt: Query[ExportQuery]):
    return export(filtered(ActionFilter, query, actions(), user=request.user), ACTION_COLUMNS, "actions", fmt.format)


@router.get("/actions/{id}", response={200: ActionOut, **REFUSALS}, auth=auth.READ, tags=["actions"])
def get_action(request, id: int):
    return _action(id)


@router.post("/actions", response={201: ActionOut, **REFUSALS}, auth=auth.ADMIN, tags=["actions"])
def open_action(request, body: ActionIn):
    """Open an action by hand on a commitment or one of its instances. Without `owner` it is routed to
    the executor, or to a stand-in while they are away."""
    commitment = commitment_row(body.agreement, body.commitment)
    if not can_change(request.user, commitment):
        raise PermissionDenied(_("The token's user may look at this, but not change it."))
    action = do_open_action(commitment, acting_user=request.user, instance_key=body.instance, title=body.title,
                            description=body.description, owner=user_named(body.owner, "owner"),
                            due_on=body.due_on)
    return Status(201, _action(action.pk))


@router.patch("/actions/{id}", response={200: ActionOut, **REFUSALS}, auth=auth.ADMIN, tags=["actions"])
def update_action(request, id: int, body: ActionPatch):
    """Change an action's title, description, owner or due date, take it in progress, or reopen a closed one
    (`status`: open)."""
    action = _rw_action(request, id)
    fields = body.dict(exclude_unset=True, exclude={"revision"})
    if "owner" in fields:
        fields["owner"] = user_named(fields["owner"], "owner")
    if "status" in fields:
        fields["status"] = fields["status"] or action.status
    for name in ("title", "description", "due_on"):
        if name in fields and fields[name] is None:
            fields.pop(name)
    do_update_action(action, acting_user=request.user, expected_revision=body.revision, **fields)
    return _action(id)


@router.post("/actions/{id}/resolve", response={200: ActionOut, **REFUSALS}, auth=auth.ADMIN, tags=["actions"])
def resolve_action(request, id: int, body: ResolveIn):
    """Close an action as done or dismissed (a dismissal says why); with `waiver`, the other side released
    the instance, and the commitment is evaluated again."""
    action = _rw_action(request, id)
    waiver = body.waiver
    do_resolve_action(
        action, acting_user=request.user, expected_revision=body.revision, status=body.status,
        resolution=body.resolution,
        waiver=WaiverData(reason=waiver.reason, granted_by=waiver.granted_by, at=waiver.at) if waiver else None,
    )
    return _action(id)
