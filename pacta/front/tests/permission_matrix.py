"""The machinery of the permission matrix (test_permission_matrix.py, and the API's in
pacta/api/tests/test_permission_matrix_api.py): the URL names of the URLconf and the
operations of the API, the roles and the outcomes, the objects each URL needs, and
running one cell — one request of one role — in a savepoint that is rolled back.

The objects are built lazily from the front tests' `world` (ALFKI, whose point of
contact is olav, with the draft agreement ALFKI-2025 and its commitment call-ahead)
with the do_* functions: each test builds only what its URL uses. Olav owns each of
them in the sense its view checks (the party's point of contact, the owner of the
action, the creator of the intake, the owner of the token, the calendar feed and the
absence); nina owns none of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache, cached_property

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from pacta.core.actions.api import do_create_api_token, do_create_webhook
from pacta.core.actions.engagement import do_compose_update, do_create_intake
from pacta.core.actions.mappings import do_save_column_mapping
from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party, do_save_contact
from pacta.core.actions.review import do_link_coverage, do_run_top_audit
from pacta.core.actions.watch import (
    do_create_calendar_token,
    do_open_action,
    do_record_absence,
    do_resolve_action,
)
from pacta.core.models import (
    Absence,
    Action,
    Agreement,
    ApiToken,
    Attachment,
    AuditEntry,
    AuditReport,
    CalendarToken,
    CheckIn,
    ColumnMapping,
    Commitment,
    Contact,
    CoverageLink,
    Deviation,
    Event,
    Instance,
    Intake,
    Party,
    StatusUpdate,
    Waiver,
    WebhookSubscription,
)
from pacta.lib.tests.samples import ResentFile

# ---------------------------------------------------------------------------
# roles and outcomes

ROLES = ("anonymous", "viewer", "nonowner", "owner", "manager", "admin")
USERNAME = {"anonymous": None, "viewer": "vera", "nonowner": "nina", "owner": "olav", "manager": "mona",
            "admin": "admin"}

OK = "allowed"  # 2xx, or a redirect that is not to a sign-in page; a POST that `writes` wrote
REFUSED = "refused (403)"  # and nothing changed
LOGIN = "sent to sign in"  # 302 to the sign-in page with ?next=, nothing changed
NOT_FOUND = "not found (404)"  # somebody else's object looked up among one's own; nothing changed
ADMIN_LOGIN = "sent to the admin's sign-in"  # the Django admin's staff gate
PAST_ADMIN_GATE = "past the admin's staff gate"  # the admin's own model permissions decide from there
UNAUTHORIZED = "unauthorized (401)"  # the API without a valid token


@dataclass(frozen=True)
class Rule:
    """The expected outcome for each role."""

    anonymous: str
    viewer: str
    nonowner: str
    owner: str
    manager: str
    admin: str

    def of(self, role: str) -> str:
        return getattr(self, role)


# ---------------------------------------------------------------------------
# what the URLconf and the API have


ADMIN_NAMESPACE = "admin"


@dataclass
class Route:
    name: str | None  # "namespace:name", None for an unnamed pattern
    route: str
    params: list[str]  # its arguments, in order


def _params(pattern) -> list[str]:
    if isinstance(pattern.pattern, RoutePattern):
        return list(pattern.pattern.converters)
    groups = pattern.pattern.regex.groupindex
    return sorted(groups, key=groups.get)


def walk_urls(resolver=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every URL pattern of the URLconf (recursing into includes) with its namespaced name."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                pattern.namespace or namespace)
            found += walk_urls(pattern, prefix + str(pattern.pattern), inner or "")
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            found.append(Route(name, prefix + str(pattern.pattern), _params(pattern)))
    return found


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the schema writes it: /parties/{code}
    url_name: str  # namespaced, as in the URLconf
    scope: str  # the token scope it needs

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def api_operations() -> list[Operation]:
    """Every operation of the NinjaAPI (method, path, URL name, scope), from its routers."""
    from pacta.api.api import api

    found = []
    for router in api._get_bound_routers():
        for path, view in router.path_operations.items():
            for op in view.operations:
                name = getattr(op, "url_name", "") or api.get_operation_url_name(op, router=router.template)
                scope = str(op.auth_callbacks[0].scope) if op.auth_callbacks else ""
                for method in op.methods:
                    found.append(Operation(method, path, f"{api.urls_namespace}:{name}", scope))
    return found


# ---------------------------------------------------------------------------
# what changed


COUNTED = (AuditEntry, Party, Contact, Agreement, Attachment, Commitment, Waiver, Action, Intake, StatusUpdate,
           CheckIn, Absence, CalendarToken, ApiToken, WebhookSubscription, ColumnMapping, CoverageLink, AuditReport,
           Event)
REVISED = (Party, Agreement, Commitment, Action, Intake, StatusUpdate)
REVOKED = (ApiToken, CalendarToken)


def _fingerprint_sql() -> str:
    q = connection.ops.quote_name
    parts = [f"(SELECT COUNT(*) FROM {q(m._meta.db_table)})" for m in COUNTED]
    parts += [f"(SELECT SUM({q('revision')}) FROM {q(m._meta.db_table)})" for m in REVISED]
    parts += [f"(SELECT COUNT(*) FROM {q(m._meta.db_table)} WHERE {q('revoked_at')} IS NOT NULL)" for m in REVOKED]
    return "SELECT " + ", ".join(parts)


def fingerprint() -> tuple:
    """Cheap evidence of a write: row counts, revisions, revoked tokens, webhooks' secrets.

    Every write goes through a do_* function that leaves an audit entry; the rest
    catches a write that would not."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        figures = tuple(cursor.fetchone())
    return figures + tuple(WebhookSubscription.objects.order_by("pk").values_list("secret", "name", "url"))


# ---------------------------------------------------------------------------
# the objects the URLs need


CLARIFIED = {"problem": "Drivers arrive unannounced.", "desired_situation": "Somebody is ready at the dock.",
             "goal": "No delivery waits at the dock."}
PROMISE = {"key": "call-ahead", "type": "notice_before_delivery", "title": "Call one hour before each delivery",
           "params": {"min_before": "PT1H"}, "cost": "12.50", "occurrences": "52"}
NOTICE = {"type": "notice_before_delivery", "params": {"min_before": "PT1H", "max_before": "PT24H"}}


class Things:
    """What the URLs of the matrix need, built on first use from the front tests' `world`.

    Build everything a request needs before its cells run (the cells roll back)."""

    def __init__(self, world):
        self.world = world
        self.users = world.users
        self.olav, self.mona = self.users["olav"], self.users["mona"]
        self.party, self.agreement, self.commitment = world.party, world.agreement, world.commitment

    def fresh(self, obj):
        obj.refresh_from_db()
        return obj

    # the register

    @cached_property
    def instance(self) -> Instance:
        return Instance.objects.create(commitment=self.commitment, key="10248", status="broken",
                                       explanation="Delivered without a call.")

    @cached_property
    def attachment(self) -> Attachment:
        """A signed amendment kept with the agreement (its file in the tests' MEDIA_ROOT)."""
        from pacta.core.actions.attachments import do_add_attachment
        from pacta.lib.tests import samples

        return do_add_attachment(self.agreement, ResentFile("Amendment 1.pdf", samples.pdf()), acting_user=self.olav)

    @cached_property
    def contact(self) -> Contact:
        return do_save_contact(self.party, acting_user=self.olav, name="Maria Anders", email="maria@example.com",
                               receives_updates=True)

    @cached_property
    def supplier_commitments(self) -> tuple[Commitment, Commitment]:
        """Two promises of a supplier agreement: the first covers call-ahead (`link`), the second is free."""
        supplier = do_create_party(acting_user=self.mona, code="EXOTL", name="Exotic Liquids", is_customer=False,
                                   is_supplier=True)
        agreement = do_create_agreement(
            acting_user=self.mona, party=supplier, reference="EXOTL-2025", role="supplier",
            valid_from=dt.date(2025, 1, 1), currency="EUR", timezone="Europe/London", status="in_force",
            commitments=[CommitmentData(key="notice-a", title="Notice A", **NOTICE),
                         CommitmentData(key="notice-b", title="Notice B", **NOTICE)])
        return tuple(agreement.commitments.order_by("key"))

    @cached_property
    def link(self) -> CoverageLink:
        return do_link_coverage(self.commitment, self.supplier_commitments[0], acting_user=self.olav)

    # watch and act

    @cached_property
    def action(self) -> Action:
        """Olav's open action on the instance 10248."""
        self.instance  # noqa: B018 (built first)
        return do_open_action(self.commitment, acting_user=self.mona, instance_key="10248", owner=self.olav,
                              title="Call Alfreds about 10248")

    @cached_property
    def closed_action(self) -> Action:
        action = do_open_action(self.commitment, acting_user=self.mona, instance_key="10249", owner=self.olav)
        return do_resolve_action(action, acting_user=self.olav, expected_revision=action.revision, status="done",
                                 resolution="Called them.")

    @cached_property
    def deviation(self) -> Deviation:
        """A deviation as the watcher records it (the watcher's own record; no do_* writes one by hand)."""
        return Deviation.objects.create(commitment=self.commitment, instance_key="10248", old_status="open",
                                        new_status="broken", reason="Delivered without a call.",
                                        at=dt.datetime(2025, 3, 5, 10, tzinfo=dt.timezone.utc))

    @cached_property
    def event(self) -> Event:
        from pacta.core.actions.events import do_import_events
        from pacta.core.imports import read_event_records

        frame = read_event_records([{"id": "10248", "kind": "delivery", "party": "ALFKI", "at": "2025-03-05T10:00:00Z",
                                     "ref": "10248"}], source_name="events", event_source="erp",
                                   known_parties={"ALFKI"})
        do_import_events(frame, source="erp", filename="matrix", acting_user=self.mona, evaluate=False)
        return Event.objects.get(source="erp", external_id="10248")

    # engagement

    @cached_property
    def intake(self) -> Intake:
        """Olav's intake for ALFKI, being clarified, with one proposed promise."""
        return do_create_intake(acting_user=self.olav, party=self.party, title="Call before delivery", **CLARIFIED,
                                key_terms=[{"term": "delivered", "definition": "at the customer's dock"}],
                                proposed_commitments=[PROMISE])

    @cached_property
    def update(self) -> StatusUpdate:
        """A draft status update to ALFKI (with a contact who receives it)."""
        self.contact  # noqa: B018
        return do_compose_update(self.party, acting_user=self.olav)

    # review

    @cached_property
    def report(self) -> AuditReport:
        return do_run_top_audit(acting_user=self.mona, top=1, as_of=dt.datetime(2025, 3, 10, 9, tzinfo=dt.timezone.utc))

    # integrations and accounts

    @cached_property
    def token(self) -> ApiToken:
        return do_create_api_token(acting_user=self.olav, name="Olav's ERP", scopes=["read"])[0]

    @cached_property
    def webhook(self) -> WebhookSubscription:
        return do_create_webhook(acting_user=self.mona, name="ERP", url="https://erp.example.com/pacta")

    @cached_property
    def calendar(self) -> tuple[CalendarToken, str]:
        """Olav's calendar feed: the token and its secret."""
        return do_create_calendar_token(acting_user=self.olav, user=self.olav)

    @cached_property
    def absence(self) -> Absence:
        return do_record_absence(acting_user=self.olav, user=self.olav, start=dt.date(2025, 8, 1),
                                 end=dt.date(2025, 8, 14), note="Holiday")

    @cached_property
    def mapping(self) -> ColumnMapping:
        return do_save_column_mapping(acting_user=self.olav, name="Shop", mapping={"id": "Beleg", "kind": "Art"},
                                      options={})


# ---------------------------------------------------------------------------
# one cell


@dataclass
class Cell:
    """One request of the matrix: its URL, method, data, and whether an allowed one must write."""

    url: str
    method: str = "GET"
    data: dict = field(default_factory=dict)
    writes: bool = False


def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


def is_login_redirect(response, target: str) -> bool:
    """A redirect to the sign-in page `target` that asks to come back (?next=): a refusal.
    (Signing out also ends on the sign-in page, without coming back.)"""
    if response.status_code != 302:
        return False
    path, _sep, query = response["Location"].partition("?")
    return path == target and "next=" in query


def judge(response, expected: str, changed: bool, writes: bool) -> str | None:
    """What is wrong with the response for the expected outcome; None when it is right."""
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    if expected == OK:
        if status == 403 or is_login_redirect(response, login_url()) or status == 404:
            return f"answered {status} {response.get('Location', '')}".strip()
        if status == 405:
            return "answered 405 (the method is not allowed)"
        if writes and not changed:
            return f"answered {status} but wrote nothing"
        return None
    if expected == PAST_ADMIN_GATE:
        from django.urls import reverse

        if is_login_redirect(response, reverse("admin:login")):
            return "was sent to the admin's sign-in"
        return None
    wanted = {REFUSED: 403, NOT_FOUND: 404, UNAUTHORIZED: 401}
    if expected in wanted and status != wanted[expected]:
        return f"answered {status} {response.get('Location', '')}".strip()
    if expected == LOGIN and not is_login_redirect(response, login_url()):
        return f"answered {status} {response.get('Location', '')}".strip()
    if expected == ADMIN_LOGIN:
        from django.urls import reverse

        if not is_login_redirect(response, reverse("admin:login")):
            return f"answered {status} {response.get('Location', '')}".strip()
    if changed:
        return f"answered {status} but changed something"
    return None


@cache
def shared_client() -> Client:
    """One test client for every cell: a new one loads the middleware again (whitenoise scans
    the static files), which would take most of the matrix's time."""
    return Client()


def sign_in_all(users: dict) -> dict[str, str]:
    """A session of each role's user (its cookie's value), made once for all the cells of a test:
    the cells' savepoints keep them whatever a cell does (signing out, say)."""
    client = shared_client()
    sessions = {}
    for role, username in USERNAME.items():
        if username:
            client.cookies.clear()
            client.force_login(users[username])
            sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies.clear()
    return sessions


def run_cell(sessions: dict[str, str], role: str, cell: Cell, expected: str) -> str | None:
    """Make the request as `role` (a session of `sign_in_all`), judge it, roll everything back;
    the problem found, or None."""
    problem = None
    client = shared_client()
    client.cookies.clear()
    if role in sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    with transaction.atomic():
        before = fingerprint() if cell.method != "GET" else None
        if cell.method == "GET":
            response = client.get(cell.url)
        else:
            response = client.post(cell.url, cell.data)
        changed = before is not None and fingerprint() != before
        problem = judge(response, expected, changed, cell.writes)
        transaction.set_rollback(True)
    client.cookies.clear()
    return problem
