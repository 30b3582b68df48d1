"""Who may do what through the API: the permission matrix of every operation.

Every operation of the NinjaAPI (method and path, walked from its routers) has a
decision in DECISIONS: the outcome for a token of each role — a viewer (vera), a
member who does not own the object (nina), the member who owns it (olav), a manager
(mona), an administrator — each token having the scope the operation needs (the
viewer's made while she was still a member: a role is checked on every request, not
only when a token is made). "anonymous" is a request without a token: 401. Every
operation is also called with a token of the administrator that lacks its scope: 403.

An operation without a decision fails `test_every_operation_has_a_decision` with its
name, and so does a decision for an operation that is gone. Allowed: a 2xx answer (a
write marked in REQUESTS must have written); refused: 401 or 403, and nothing changed.
Each cell runs in a savepoint that is rolled back. The web pages' matrix is
pacta/front/tests/test_permission_matrix.py; the objects come from the same builder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from pacta.accounts.models import Role
from pacta.core.actions.api import do_create_api_token
from pacta.core.agreement_files import export_agreements
from pacta.core.models import Agreement, ApiScope
from pacta.front.tests.conftest import world  # noqa: F401  (the web tests' world: nina owns nothing in it)
from pacta.front.tests.permission_matrix import (
    OK,
    REFUSED,
    ROLES,
    UNAUTHORIZED,
    USERNAME,
    Rule,
    Things,
    api_operations,
    fingerprint,
    shared_client,
)
from pacta.lib.tests import samples
from pacta.lib.tests.samples import ResentFile

#                anonymous      viewer   nonowner owner manager admin
READERS = Rule(  UNAUTHORIZED,  OK,      OK,      OK,   OK,     OK)
WRITERS = Rule(  UNAUTHORIZED,  REFUSED, OK,      OK,   OK,     OK)
OWNERS = Rule(   UNAUTHORIZED,  REFUSED, REFUSED, OK,   OK,     OK)

DECISIONS: dict[str, Rule] = {
    "GET /me": READERS,
    # parties: members create; the owner and managers change
    "GET /parties": READERS,
    "POST /parties": WRITERS,
    "GET /parties/{code}": READERS,
    "PATCH /parties/{code}": OWNERS,
    # agreements
    "GET /agreements": READERS,
    "POST /agreements": WRITERS,
    "GET /agreements.yaml": READERS,
    "POST /agreements/import": OWNERS,  # a file that changes an agreement: whoever may change that agreement
    "GET /agreements/{reference}": READERS,
    "PATCH /agreements/{reference}": OWNERS,
    "GET /agreements/{reference}/yaml": READERS,
    "GET /agreements/{reference}/versions": READERS,
    "GET /agreements/{reference}/versions/{number}": READERS,
    "PUT /agreements/{reference}/commitments/{key}": OWNERS,
    "GET /agreements/{reference}/attachments": READERS,
    "POST /agreements/{reference}/attachments": OWNERS,
    "GET /agreements/{reference}/attachments/{id}": READERS,
    # commitments and instances
    "GET /commitments": READERS,
    "GET /commitments/export": READERS,
    "GET /commitments/{reference}/{key}": READERS,
    "PATCH /commitments/{reference}/{key}": OWNERS,
    "GET /commitments/{reference}/{key}/instances": READERS,
    "GET /instances": READERS,
    "GET /instances/export": READERS,
    # events: every member posts them
    "POST /events": WRITERS,
    "GET /events": READERS,
    "GET /events/export": READERS,
    "GET /events/{source}/{id}": READERS,
    # deviations and actions
    "GET /deviations": READERS,
    "GET /deviations/export": READERS,
    "GET /deviations/{id}": READERS,
    "GET /actions": READERS,
    "POST /actions": OWNERS,  # on a commitment: whoever may change it
    "GET /actions/export": READERS,
    "GET /actions/{id}": READERS,
    "PATCH /actions/{id}": OWNERS,
    "POST /actions/{id}/resolve": OWNERS,
}

# The scope a token lacks, for the operation's own: an administrator's token with it is refused.
WRONG_SCOPE = {ApiScope.READ: ApiScope.EVENTS, ApiScope.EVENTS: ApiScope.READ, ApiScope.ADMIN: ApiScope.EVENTS}


# ---------------------------------------------------------------------------
# how each operation is called


@dataclass
class Req:
    """The path's values, the body (JSON unless `content_type` says otherwise) and whether an allowed call writes."""

    path: dict = field(default_factory=dict)
    body: object = None
    content_type: str = "application/json"
    writes: bool = False


REF, KEY = "ALFKI-2025", "call-ahead"
AGREEMENT = {"reference": REF}
COMMITMENT = {"reference": REF, "key": KEY}


def revised_file(t: Things) -> str:
    """ALFKI-2025 as an agreement file with another title: importing it changes the agreement."""
    text = export_agreements(Agreement.objects.filter(pk=t.agreement.pk))
    assert "title: Delivery terms\n" in text
    return text.replace("title: Delivery terms\n", "title: Delivery terms, revised\n")


REQUESTS: dict[str, Callable[[Things], Req]] = {
    "POST /parties": lambda t: Req(body={"code": "NEWCO", "name": "New Co"}, writes=True),
    "GET /parties/{code}": lambda t: Req({"code": "ALFKI"}),
    "PATCH /parties/{code}": lambda t: Req({"code": "ALFKI"}, {"revision": t.party.revision, "city": "Hamburg"},
                                           writes=True),
    "POST /agreements": lambda t: Req(body={"reference": "ALFKI-2026", "party": "ALFKI",
                                            "valid_from": "2026-01-01"}, writes=True),
    "POST /agreements/import": lambda t: Req(body=revised_file(t), content_type="application/yaml", writes=True),
    "GET /agreements/{reference}": lambda t: Req(AGREEMENT),
    "PATCH /agreements/{reference}": lambda t: Req(AGREEMENT, {"revision": t.agreement.revision,
                                                               "title": "Delivery terms, revised"}, writes=True),
    "GET /agreements/{reference}/yaml": lambda t: Req(AGREEMENT),
    "GET /agreements/{reference}/versions": lambda t: Req(AGREEMENT),
    "GET /agreements/{reference}/versions/{number}": lambda t: Req({**AGREEMENT, "number": 1}),
    "PUT /agreements/{reference}/commitments/{key}": lambda t: Req(COMMITMENT, {
        "revision": t.agreement.revision, "type": "notice_before_delivery", "title": "Call two hours before",
        "params": {"min_before": "PT2H", "max_before": "PT24H"}}, writes=True),
    "GET /agreements/{reference}/attachments": lambda t: Req(AGREEMENT),
    "POST /agreements/{reference}/attachments": lambda t: Req(AGREEMENT, {
        "file": ResentFile("Amendment 2.pdf", samples.pdf()), "description": "signed"},
        content_type="multipart/form-data", writes=True),
    "GET /agreements/{reference}/attachments/{id}": lambda t: Req({**AGREEMENT, "id": t.attachment.pk}),
    "GET /commitments/{reference}/{key}": lambda t: Req(COMMITMENT),
    "PATCH /commitments/{reference}/{key}": lambda t: Req(COMMITMENT, {"revision": t.commitment.revision,
                                                                       "how": "on the route sheet"}, writes=True),
    "GET /commitments/{reference}/{key}/instances": lambda t: Req(COMMITMENT),
    "POST /events": lambda t: Req(body={"source": "erp", "events": [
        {"id": "I-1", "kind": "invoice", "party": "ALFKI", "at": "2025-01-15", "amount": "100.00",
         "currency": "EUR"}]}, writes=True),
    "GET /events/{source}/{id}": lambda t: Req({"source": t.event.source, "id": t.event.external_id}),
    "GET /deviations/{id}": lambda t: Req({"id": t.deviation.pk}),
    "POST /actions": lambda t: Req(body={"agreement": REF, "commitment": KEY, "title": "Ask about the dock"},
                                   writes=True),
    "GET /actions/{id}": lambda t: Req({"id": t.action.pk}),
    "PATCH /actions/{id}": lambda t: Req({"id": t.action.pk}, {"revision": t.action.revision,
                                                               "title": "Call Alfreds"}, writes=True),
    "POST /actions/{id}/resolve": lambda t: Req({"id": t.action.pk}, {"revision": t.action.revision,
                                                                      "status": "done", "resolution": "Called."},
                                                writes=True),
}


# ---------------------------------------------------------------------------
# tokens


def token_of(user, scope: str) -> str:
    """A token of `user` with `scope`; a viewer's is made while they are a member, then they are demoted."""
    role = user.role
    if role == Role.VIEWER:
        user.role = Role.MEMBER
        user.save(update_fields=["role"])
    secret = do_create_api_token(acting_user=user, name=f"{user.username} {scope}", scopes=[scope])[1]
    if role == Role.VIEWER:
        user.role = role
        user.save(update_fields=["role"])
    return secret


# ---------------------------------------------------------------------------
# one cell


def call(op_method: str, url: str, req: Req, token: str | None):
    client = shared_client()
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if op_method == "GET":
        return client.get(url, headers=headers)
    if req.content_type == "multipart/form-data":
        return client.generic(op_method, url, *_multipart(client, req.body), headers=headers)
    body = req.body if isinstance(req.body, str) else json.dumps(req.body)
    return client.generic(op_method, url, body.encode(), content_type=req.content_type, headers=headers)


def _multipart(client, data: dict) -> tuple[bytes, str]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT


def judge(response, expected: str, changed: bool, writes: bool) -> str | None:
    status = response.status_code
    if expected == OK:
        if not 200 <= status < 300:
            return f"answered {status} {response.content[:300]!r}"
        if writes and not changed:
            return f"answered {status} but wrote nothing"
        return None
    wanted = {REFUSED: 403, UNAUTHORIZED: 401}[expected]
    if status != wanted:
        return f"answered {status} {response.content[:300]!r}"
    if changed:
        return f"answered {status} but changed something"
    return None


def run_cell(method: str, url: str, req: Req, token: str | None, expected: str) -> str | None:
    with transaction.atomic():
        before = fingerprint() if method != "GET" else None
        response = call(method, url, req, token)
        changed = before is not None and fingerprint() != before
        problem = judge(response, expected, changed, req.writes and method != "GET")
        transaction.set_rollback(True)
    return problem


# ---------------------------------------------------------------------------
# the tests


OPERATIONS = {op.key: op for op in api_operations()}


def test_every_operation_has_a_decision():
    undecided = sorted(set(OPERATIONS) - set(DECISIONS))
    vanished = sorted(set(DECISIONS) - set(OPERATIONS))
    assert not undecided, (f"No permission decision for the API operations {', '.join(undecided)}: add them to "
                           f"DECISIONS in {__name__} (and how to call them to REQUESTS).")
    assert not vanished, f"Decisions for API operations that are gone: {', '.join(vanished)}."
    assert not sorted(set(REQUESTS) - set(OPERATIONS)), "REQUESTS names operations that are gone"


@pytest.fixture
def frozen():
    with time_machine.travel("2025-03-10 09:00 +01:00", tick=False):
        yield


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_the_matrix(key, world, frozen):  # noqa: F811
    op = OPERATIONS[key]
    rule = DECISIONS.get(key)
    assert rule is not None, f"No permission decision for {key}"
    req = REQUESTS[key](Things(world)) if key in REQUESTS else Req()
    path = op.path.format(**req.path)
    url = reverse("api-v1:api-root").rstrip("/") + path
    users = world.users
    tokens = {role: token_of(users[USERNAME[role]], op.scope) for role in ROLES if USERNAME[role]}
    tokens["anonymous"] = None
    cells = [(role, tokens[role], rule.of(role)) for role in ROLES]
    cells.append(("admin without the scope", token_of(users["admin"], WRONG_SCOPE[op.scope]), REFUSED))
    problems = []
    for who, token, expected in cells:
        problem = run_cell(op.method, url, req, token, expected)
        if problem:
            problems.append(f"{key} as {who}: expected {expected}, {problem}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------
# what the matrix's one file per operation does not show


NEW_FOR_ALFKI = """agreements:
  - id: ALFKI-2026
    party: ALFKI
    role: {role}
    currency: EUR
    timezone: Europe/Berlin
    valid_from: 2026-01-01
{contacts}    commitments: []
"""
A_CONTACT = """    contacts:
      - name: Eve Elsewhere
        email: eve@elsewhere.example
"""


@pytest.mark.parametrize(("role", "contacts", "nina_may"), [
    ("customer", "", True),  # a new agreement with a party: open to members, the party stays as it is
    ("customer", A_CONTACT, False),  # it would add a contact to the party (who then receives its updates)
    ("supplier", "", False),  # it would make the customer a supplier as well
], ids=["same-party", "new-contact", "new-role"])
def test_an_agreement_file_changes_a_party_only_for_whoever_may_change_the_party(world, role, contacts,  # noqa: F811
                                                                                 nina_may):
    text = NEW_FOR_ALFKI.format(role=role, contacts=contacts)
    url = reverse("api-v1:import_agreements_yaml")
    nina, olav = (token_of(world.users[name], ApiScope.ADMIN) for name in ("nina", "olav"))
    before = fingerprint()
    refused = call("POST", url, Req(body=text, content_type="application/yaml"), nina)
    if nina_may:
        assert refused.status_code == 200 and Agreement.objects.filter(reference="ALFKI-2026").exists()
        return
    assert refused.status_code == 403 and fingerprint() == before
    allowed = call("POST", url, Req(body=text, content_type="application/yaml"), olav)
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["created"] == ["ALFKI-2026"]
