"""Parties: list, read, create, change."""

from __future__ import annotations

from ninja import Query, Router
from ninja.responses import Status

from pacta.api import auth
from pacta.api.common import REFUSALS, filtered, get_or_404, page, require_change, user_named
from pacta.api.schemas import PageQuery, PartyIn, PartyOut, PartyPatch, PartyQuery, page_of
from pacta.core.actions.register import do_create_party, do_update_party
from pacta.core.models import Party
from pacta.front.filters import PartyFilter

router = Router(tags=["parties"])
PEOPLE = ("spoc", "deputy")



def _parties():
    return Party.objects.select_related("spoc", "deputy").order_by("code")


def _fields(body: PartyIn | PartyPatch) -> dict:
    """The fields that were sent, as the register takes them (people by username)."""
    fields = {k: v for k, v in body.dict(exclude_unset=True, exclude={"revision"}).items()
              if v is not None or k in PEOPLE}
    for name in PEOPLE:
        if name in fields:
            fields[name] = user_named(fields[name], name)
    return fields


@router.get("/parties", response={200: page_of(PartyOut), **REFUSALS}, auth=auth.READ)
def list_parties(request, query: Query[PartyQuery], paging: Query[PageQuery]):
    """Customers and suppliers by code; `q` searches code, name and city, `role` is customer or supplier."""
    return page(filtered(PartyFilter, query, _parties()), paging)


@router.get("/parties/{code}", response={200: PartyOut, **REFUSALS}, auth=auth.READ)
def get_party(request, code: str):
    return get_or_404(_parties(), "party", code, code=code)


@router.post("/parties", response={201: PartyOut, **REFUSALS}, auth=auth.ADMIN)
def create_party(request, body: PartyIn):
    require_change(request)
    return Status(201, do_create_party(acting_user=request.user, **_fields(body)))


@router.patch("/parties/{code}", response={200: PartyOut, **REFUSALS}, auth=auth.ADMIN)
def update_party(request, code: str, body: PartyPatch):
    """Change the fields sent; `revision` (the one you read) guards against overwriting another change."""
    party = get_or_404(_parties(), "party", code, code=code)
    require_change(request, party)
    return do_update_party(party, acting_user=request.user, expected_revision=body.revision, **_fields(body))
