"""Who may do what on every page: the permission matrix of the web interface.

Every named URL of the URLconf (pacta.urls, includes followed; the API's operations
are the matrix of pacta/api/tests/test_permission_matrix_api.py) has a decision in
DECISIONS: for each method it answers, the outcome for each role — anonymous,
viewer (vera), a member who does not own the object (nina), the member who owns it
(olav), a manager (mona), an administrator. A URL without a decision fails
`test_every_url_has_a_decision` with its name, and so does a decision for a URL
that is gone; then every cell is run (`test_the_matrix`), each in a savepoint that
is rolled back.

Allowed: a 2xx answer or a redirect that is not to the sign-in page; a POST marked
`writes` in REQUESTS must also have written. Refused: 403 (404 where an object is
looked up among the user's own), or the sign-in page for an anonymous visitor — and
nothing changed (permission_matrix.fingerprint).

The Django admin is decided as a group ("admin:*"): anonymous visitors and signed-in
people who are not staff are sent to the admin's sign-in page; an administrator gets
past that gate, and the admin's own model permissions decide from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
import time_machine
from django.urls import reverse

from pacta.conftest import PASSWORD
from pacta.front.engagement_forms import StatusUpdateForm
from pacta.lib.tests import samples
from pacta.lib.tests.samples import ResentFile

from .permission_matrix import (
    ADMIN_LOGIN,
    ADMIN_NAMESPACE,
    LOGIN,
    NOT_FOUND,
    OK,
    PAST_ADMIN_GATE,
    REFUSED,
    ROLES,
    Cell,
    Rule,
    Things,
    api_operations,
    run_cell,
    sign_in_all,
    walk_urls,
)

# ---------------------------------------------------------------------------
# the decisions

#                  anonymous  viewer      nonowner    owner    manager     admin
ANYONE = Rule(     OK,        OK,         OK,         OK,      OK,         OK)
SIGNED_IN = Rule(  LOGIN,     OK,         OK,         OK,      OK,         OK)
WRITERS = Rule(    LOGIN,     REFUSED,    OK,         OK,      OK,         OK)
OWNERS = Rule(     LOGIN,     REFUSED,    REFUSED,    OK,      OK,         OK)
MANAGERS = Rule(   LOGIN,     REFUSED,    REFUSED,    REFUSED, OK,         OK)
OWN_TOKEN = Rule(  LOGIN,     REFUSED,    REFUSED,    OK,      REFUSED,    OK)  # an administrator: everybody's
OWN_ONLY = Rule(   LOGIN,     NOT_FOUND,  NOT_FOUND,  OK,      NOT_FOUND,  NOT_FOUND)
NOWHERE = Rule(    NOT_FOUND, NOT_FOUND,  NOT_FOUND,  NOT_FOUND, NOT_FOUND, NOT_FOUND)
STAFF = Rule(      ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, PAST_ADMIN_GATE)

ADMIN_GROUP = ADMIN_NAMESPACE + ":*"

DECISIONS: dict[str, dict[str, Rule]] = {
    # signing in and out, the language; the calendar feed's secret is its credential
    "login": {"GET": ANYONE, "POST": ANYONE},
    "logout": {"POST": ANYONE},
    "set_language": {"POST": ANYONE},
    "calendar_feed": {"GET": ANYONE},
    # the Django admin
    ADMIN_GROUP: {"GET": STAFF},
    "admin:login": {"GET": ANYONE},
    "admin:logout": {"POST": ANYONE},
    # the API's documentation (the operations are the API matrix's)
    "api-docs-asset": {"GET": ANYONE},
    "api-v1:openapi-json": {"GET": ANYONE},
    "api-v1:openapi-view": {"GET": ANYONE},
    "api-v1:api-root": {"GET": NOWHERE},
    # accounts
    "accounts:profile": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "accounts:set_language": {"POST": ANYONE},
    "accounts:calendar_create": {"POST": SIGNED_IN},
    "accounts:calendar_revoke": {"POST": OWN_ONLY},
    "accounts:absences": {"GET": SIGNED_IN, "POST": WRITERS},
    "accounts:absence_delete": {"POST": OWNERS},
    # pages
    "front:dashboard": {"GET": SIGNED_IN},
    "front:search": {"GET": SIGNED_IN},
    "front:audit": {"GET": SIGNED_IN},
    "front:import": {"GET": SIGNED_IN},
    # parties
    "front:parties": {"GET": SIGNED_IN},
    "front:party_create": {"GET": WRITERS, "POST": WRITERS},
    "front:party": {"GET": SIGNED_IN},
    "front:party_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:contact_create": {"GET": OWNERS, "POST": OWNERS},
    "front:contact_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:contact_delete": {"GET": OWNERS, "POST": OWNERS},
    # agreements
    "front:agreements": {"GET": SIGNED_IN},
    "front:agreement_create": {"GET": WRITERS, "POST": WRITERS},
    "front:agreement": {"GET": SIGNED_IN},
    "front:agreement_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:agreement_status": {"GET": OWNERS, "POST": OWNERS},
    "front:glossary_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:note_add": {"GET": OWNERS, "POST": OWNERS},
    "front:agreement_diff": {"GET": SIGNED_IN},
    "front:attachment": {"GET": SIGNED_IN},
    "front:attachment_add": {"GET": OWNERS, "POST": OWNERS},
    "front:attachment_remove": {"GET": OWNERS, "POST": OWNERS},
    # commitments
    "front:commitments": {"GET": SIGNED_IN},
    "front:commitment_types": {"GET": OWNERS},
    "front:commitment_add": {"GET": OWNERS, "POST": OWNERS},
    "front:commitment": {"GET": SIGNED_IN},
    "front:commitment_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:commitment_operations": {"GET": OWNERS, "POST": OWNERS},
    "front:commitment_remove": {"GET": OWNERS, "POST": OWNERS},
    "front:instance_waive": {"GET": OWNERS, "POST": OWNERS},
    # watch and act
    "front:actions": {"GET": SIGNED_IN},
    "front:action": {"GET": SIGNED_IN},
    "front:action_edit": {"GET": OWNERS, "POST": OWNERS},
    "front:action_resolve": {"GET": OWNERS, "POST": OWNERS},
    "front:action_reopen": {"POST": OWNERS},
    "front:action_open": {"GET": OWNERS, "POST": OWNERS},
    "front:instances": {"GET": SIGNED_IN},
    "front:deviations": {"GET": SIGNED_IN},
    "front:mail": {"GET": SIGNED_IN},
    # review
    "review:coverage": {"GET": SIGNED_IN},
    "review:coverage_link": {"GET": OWNERS, "POST": OWNERS},
    "review:coverage_unlink": {"GET": OWNERS, "POST": OWNERS},
    "review:audit": {"GET": SIGNED_IN, "POST": WRITERS},
    "review:audit_report": {"GET": SIGNED_IN},
    "review:audit_pdf": {"GET": SIGNED_IN},
    "review:audit_actions": {"POST": WRITERS},
    "review:profitability": {"GET": SIGNED_IN},
    # open to other systems: the event log, API tokens (one's own), webhooks (managers)
    "integrations:events": {"GET": SIGNED_IN},
    "integrations:tokens": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "integrations:token": {"GET": OWN_TOKEN},
    "integrations:token_revoke": {"POST": OWN_TOKEN},
    "integrations:webhooks": {"GET": MANAGERS},
    "integrations:webhook_create": {"GET": MANAGERS, "POST": MANAGERS},
    "integrations:webhook": {"GET": MANAGERS},
    "integrations:webhook_edit": {"GET": MANAGERS, "POST": MANAGERS},
    "integrations:webhook_secret": {"POST": MANAGERS},
    "integrations:webhook_delete": {"GET": MANAGERS, "POST": MANAGERS},
    # intakes, status updates, check-ins
    "engagement:intakes": {"GET": SIGNED_IN},
    "engagement:intake_create": {"GET": WRITERS, "POST": WRITERS},
    "engagement:intake": {"GET": SIGNED_IN},
    "engagement:intake_edit": {"GET": OWNERS, "POST": OWNERS},
    "engagement:intake_submit": {"POST": OWNERS},
    "engagement:intake_decide": {"POST": OWNERS},
    "engagement:intake_accept_counter": {"POST": OWNERS},
    "engagement:promise_add": {"GET": OWNERS, "POST": OWNERS},
    "engagement:promise_edit": {"GET": OWNERS, "POST": OWNERS},
    "engagement:updates": {"GET": SIGNED_IN},
    "engagement:party_updates": {"GET": SIGNED_IN},
    "engagement:update_compose": {"POST": OWNERS},
    "engagement:update": {"GET": SIGNED_IN},
    "engagement:update_edit": {"GET": OWNERS, "POST": OWNERS},
    "engagement:update_send": {"GET": OWNERS, "POST": OWNERS},
    "engagement:update_discard": {"GET": OWNERS, "POST": OWNERS},
    "engagement:update_pdf": {"GET": SIGNED_IN},
    "engagement:check_ins": {"GET": SIGNED_IN, "POST": OWNERS},
    # imports and exports: everybody signed in downloads, members import events, managers agreement files
    "imports:agreements": {"GET": MANAGERS, "POST": MANAGERS},
    "imports:agreements_confirm": {"POST": MANAGERS},
    "imports:agreements_export": {"GET": SIGNED_IN},
    "imports:agreement_export": {"GET": SIGNED_IN},
    "imports:events": {"GET": WRITERS, "POST": WRITERS},
    "imports:events_confirm": {"POST": WRITERS},
    "imports:mappings": {"GET": SIGNED_IN},
    "imports:mapping_create": {"GET": WRITERS, "POST": WRITERS},
    "imports:mapping_edit": {"GET": WRITERS, "POST": WRITERS},
    "imports:mapping_delete": {"GET": WRITERS, "POST": WRITERS},
}


# ---------------------------------------------------------------------------
# how each URL is called


@dataclass
class Req:
    """The URL's arguments and what its POST sends; `writes`: an allowed POST must change something."""

    args: list = field(default_factory=list)
    data: dict = field(default_factory=dict)
    writes: bool = False


REF, KEY = "ALFKI-2025", "call-ahead"


def formset(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def as_typed(obj, names) -> dict:
    """The object's fields as its form would send them back."""
    return {name: "" if getattr(obj, name) is None else getattr(obj, name) for name in names}


REQUESTS: dict[str, Callable[[Things], Req]] = {
    "login": lambda t: Req(data={"username": "olav", "password": PASSWORD}),
    "set_language": lambda t: Req(data={"language": "nl"}),
    "calendar_feed": lambda t: Req([t.calendar[1]]),
    "admin:logout": lambda t: Req(),
    "api-docs-asset": lambda t: Req(["swagger-ui.css"]),
    "accounts:profile": lambda t: Req(data={"first_name": "Someone", "email": "someone@example.com"}),
    "accounts:set_language": lambda t: Req(data={"language": "de"}),
    "accounts:calendar_create": lambda t: Req(writes=True),
    "accounts:calendar_revoke": lambda t: Req([t.calendar[0].pk], writes=True),
    "accounts:absences": lambda t: Req(data={"user": t.olav.pk, "start": "2025-09-01", "end": "2025-09-05"},
                                       writes=True),
    "accounts:absence_delete": lambda t: Req([t.absence.pk], writes=True),
    # parties
    "front:party_create": lambda t: Req(data={"code": "NEWCO", "name": "New Co", "is_customer": "on",
                                              "country": "DE"}, writes=True),
    "front:party": lambda t: Req(["ALFKI"]),
    "front:party_edit": lambda t: Req(["ALFKI"], {"revision": t.party.revision, "code": "ALFKI",
                                                   "name": "Alfreds F.", "is_customer": "on", "country": "DE",
                                                   "spoc": t.olav.pk}, writes=True),
    "front:contact_create": lambda t: Req(["ALFKI"], {"name": "Thomas Hardy"}, writes=True),
    "front:contact_edit": lambda t: Req(["ALFKI", t.contact.pk], {"name": "Maria A."}, writes=True),
    "front:contact_delete": lambda t: Req(["ALFKI", t.contact.pk], writes=True),
    # agreements
    "front:agreement_create": lambda t: Req(data={
        "reference": "ALFKI-2026", "party": t.party.pk, "role": "customer", "currency": "EUR",
        "timezone": "Europe/Berlin", "valid_from": "2026-01-01"}, writes=True),
    "front:agreement": lambda t: Req([REF]),
    "front:agreement_edit": lambda t: Req([REF], {
        "revision": t.agreement.revision, "reference": REF, "title": "Delivery terms, revised", "role": "customer",
        "currency": "EUR", "timezone": "Europe/Berlin", "valid_from": "2025-01-01", "valid_to": "2025-12-31"},
        writes=True),
    "front:agreement_status": lambda t: Req([REF, "in_force"], {"revision": t.agreement.revision}, writes=True),
    "front:glossary_edit": lambda t: Req([REF], {
        "revision": t.agreement.revision,
        **formset("glossary", [{"term": "delivered", "definition": "signed for at the customer's dock"}])},
        writes=True),
    "front:note_add": lambda t: Req([REF], {"date": "2025-03-10", "text": "Met at the fair."}, writes=True),
    "front:agreement_diff": lambda t: Req([REF]),
    "front:attachment": lambda t: Req([REF, t.attachment.pk]),
    "front:attachment_add": lambda t: Req([REF], {"file": ResentFile("Amendment 2.pdf", samples.pdf()),
                                                  "description": "signed"}, writes=True),
    "front:attachment_remove": lambda t: Req([REF, t.attachment.pk], writes=True),
    # commitments
    "front:commitment_types": lambda t: Req([REF]),
    "front:commitment_add": lambda t: Req([REF, "deadline"]),  # an empty form: shown again with its errors
    "front:commitment": lambda t: Req([REF, KEY]),
    "front:commitment_edit": lambda t: Req([REF, KEY]),
    "front:commitment_operations": lambda t: Req([REF, KEY], {"revision": t.commitment.revision,
                                                              "how": "on the route sheet"}, writes=True),
    "front:commitment_remove": lambda t: Req([REF, KEY], {"revision": t.agreement.revision}, writes=True),
    "front:instance_waive": lambda t: Req([REF, KEY, t.instance.key], {
        "granted_by": "Maria Anders", "reason": "No harm done.", "at": "2025-03-06"}, writes=True),
    # watch and act
    "front:action": lambda t: Req([t.action.pk]),
    "front:action_edit": lambda t: Req([t.action.pk], {
        "revision": t.action.revision, "title": "Call Alfreds", "owner": t.olav.pk, "due_on": "2025-03-20",
        "status": "in_progress"}, writes=True),
    "front:action_resolve": lambda t: Req([t.action.pk], {
        "revision": t.action.revision, "status": "done", "resolution": "Called."}, writes=True),
    "front:action_reopen": lambda t: Req([t.closed_action.pk], {"revision": t.closed_action.revision},
                                         writes=True),
    "front:action_open": lambda t: Req([REF, KEY], {"title": "Ask about the dock"}, writes=True),
    # review
    "review:coverage_link": lambda t: Req([REF, KEY], {"supplier_commitment": t.supplier_commitments[1].pk},
                                          writes=True),
    "review:coverage_unlink": lambda t: Req([t.link.pk], writes=True),
    "review:audit": lambda t: Req(data={"top": "1"}, writes=True),
    "review:audit_report": lambda t: Req([t.report.pk]),
    "review:audit_pdf": lambda t: Req([t.report.pk]),
    "review:audit_actions": lambda t: Req([t.report.pk]),
    # integrations
    "integrations:tokens": lambda t: Req(data={"name": "Mine", "scopes": ["read"]}, writes=True),
    "integrations:token": lambda t: Req([t.token.pk]),
    "integrations:token_revoke": lambda t: Req([t.token.pk], writes=True),
    "integrations:webhook_create": lambda t: Req(data={"name": "BI", "url": "https://bi.example.com/hook",
                                                       "on_deviations": "on"}, writes=True),
    "integrations:webhook": lambda t: Req([t.webhook.pk]),
    "integrations:webhook_edit": lambda t: Req([t.webhook.pk], {"name": "ERP, nightly",
                                                                "url": "https://erp.example.com/pacta",
                                                                "on_actions": "on", "is_active": "on"}, writes=True),
    "integrations:webhook_secret": lambda t: Req([t.webhook.pk], writes=True),
    "integrations:webhook_delete": lambda t: Req([t.webhook.pk], writes=True),
    # engagement
    "engagement:intake": lambda t: Req([t.intake.pk]),
    "engagement:intake_edit": lambda t: Req([t.intake.pk]),  # an empty form: shown again with its errors
    "engagement:intake_submit": lambda t: Req([t.intake.pk], {"revision": t.intake.revision}, writes=True),
    "engagement:intake_decide": lambda t: Req([t.intake.pk]),  # not awaiting a decision: the form says why
    "engagement:intake_accept_counter": lambda t: Req([t.intake.pk]),
    "engagement:promise_add": lambda t: Req([t.intake.pk, "deadline"]),
    "engagement:promise_edit": lambda t: Req([t.intake.pk, 0]),
    "engagement:party_updates": lambda t: Req(["ALFKI"]),
    "engagement:update_compose": lambda t: Req(["ALFKI"], writes=True),
    "engagement:update": lambda t: Req(["ALFKI", t.update.pk]),
    "engagement:update_edit": lambda t: Req(["ALFKI", t.update.pk], {
        **as_typed(t.update, StatusUpdateForm.Meta.fields), "revision": t.update.revision,
        "subject": "Our promises to you, March"}, writes=True),
    "engagement:update_send": lambda t: Req(["ALFKI", t.update.pk], {"revision": t.update.revision}, writes=True),
    "engagement:update_discard": lambda t: Req(["ALFKI", t.update.pk], {"revision": t.update.revision},
                                               writes=True),
    "engagement:update_pdf": lambda t: Req(["ALFKI", t.update.pk]),
    "engagement:check_ins": lambda t: Req(["ALFKI"], {"date": "2025-03-10", "participants": "Maria Anders",
                                                      "went_well": "Deliveries on time."}, writes=True),
    # imports
    "imports:agreement_export": lambda t: Req([REF]),
    "imports:mapping_create": lambda t: Req(data={"name": "ERP", "column_id": "Nr"}, writes=True),
    "imports:mapping_edit": lambda t: Req([t.mapping.pk], {"name": "Shop, renamed", "column_id": "Beleg"},
                                          writes=True),
    "imports:mapping_delete": lambda t: Req([t.mapping.pk], writes=True),
}


def admin_request(users: dict, route) -> Req:
    """Arguments for an admin URL: an object of the model or not (past the gate the admin decides)."""
    from django.contrib.contenttypes.models import ContentType

    admin = users["admin"]
    values = {"object_id": str(admin.pk), "id": str(admin.pk), "app_label": "accounts",
              "content_type_id": str(ContentType.objects.get_for_model(admin).pk)}
    return Req([values[name] for name in route.params])


# ---------------------------------------------------------------------------
# the URLconf


def api_operation_names() -> set[str]:
    return {op.url_name for op in api_operations()}


def routes() -> dict[str, object]:
    """The named URL patterns the web matrix decides (not the API's operations), by name."""
    operations = api_operation_names()
    return {r.name: r for r in walk_urls() if r.name and r.name not in operations}


def decision_for(name: str) -> dict[str, Rule] | None:
    if name in DECISIONS:
        return DECISIONS[name]
    if name.startswith(ADMIN_NAMESPACE + ":"):
        return DECISIONS.get(ADMIN_GROUP)
    return None


def test_every_url_has_a_decision():
    found = routes()
    undecided = sorted(name for name in found if decision_for(name) is None)
    vanished = sorted(name for name in DECISIONS if name != ADMIN_GROUP and name not in found)
    assert not undecided, (f"No permission decision for {', '.join(undecided)}: add it to DECISIONS in "
                           f"{__name__} (and how to call it to REQUESTS).")
    assert not vanished, f"Decisions for URLs that are gone: {', '.join(vanished)}: remove them from DECISIONS."
    assert any(name.startswith(ADMIN_NAMESPACE + ":") and name not in DECISIONS for name in found), \
        "The admin group decides no URL any more."


def test_every_pattern_outside_the_admin_has_a_name():
    unnamed = [r.route for r in walk_urls() if not r.name and not r.route.startswith("admin/")]
    assert not unnamed, f"URL patterns without a name cannot be in the permission matrix: {unnamed}"


def test_requests_are_for_urls_that_exist():
    assert not sorted(set(REQUESTS) - set(routes())), "REQUESTS names URLs that are gone"


# ---------------------------------------------------------------------------
# the cells


@pytest.fixture
def frozen():
    with time_machine.travel("2025-03-10 09:00 +01:00", tick=False):
        yield


@pytest.fixture
def schema_once(monkeypatch):
    """The API's OpenAPI schema is the same for everybody and slow to make: made once here (its view and
    the view's checks still answer each request)."""
    from pacta.api.api import api

    made = {}
    original = api.get_openapi_schema

    def once(*args, **kwargs):
        if "schema" not in made:
            made["schema"] = original(*args, **kwargs)
        return made["schema"]

    monkeypatch.setattr(api, "get_openapi_schema", once)


def run_url(sessions: dict[str, str], name: str, req: Req) -> list[str]:
    """Every cell of one URL's decision; the problems found."""
    decision = decision_for(name)
    if decision is None:
        return [f"No permission decision for {name}"]
    url = reverse(name, args=req.args)
    problems = []
    for method, rule in decision.items():
        cell = Cell(url, method, req.data if method == "POST" else {}, req.writes and method == "POST")
        for role in ROLES:
            expected = rule.of(role)
            problem = run_cell(sessions, role, cell, expected)
            if problem:
                problems.append(f"{method} {url} ({name}) as {role}: expected {expected}, {problem}")
    return problems


def is_admin(name: str) -> bool:
    return name.startswith(ADMIN_NAMESPACE + ":")


@pytest.mark.parametrize("name", sorted(name for name in routes() if not is_admin(name)))
def test_the_matrix(name, world, frozen, schema_once):
    req = REQUESTS[name](Things(world)) if name in REQUESTS else Req()
    problems = run_url(sign_in_all(world.users), name, req)
    assert not problems, "\n".join(problems)


def test_the_admin_group(users):
    """Every URL of the Django admin, for every role (one test: they need no objects but the users)."""
    problems = []
    sessions = sign_in_all(users)
    for name, route in sorted(routes().items()):
        if is_admin(name):
            req = REQUESTS[name](None) if name in REQUESTS else admin_request(users, route)
            problems += run_url(sessions, name, req)
    assert not problems, "\n".join(problems)
