"""The portfolio at a glance: the figures of the dashboard and of the weekly digest.

Every figure is a `Figure`: its number, the queryset of the list behind it
(so the number and the list can never disagree), and the filter of that list
in plain parameters a list page can take (`list` names which list, `params`
its query parameters). The parameter vocabulary:

- commitments: `status` (open, at_risk, broken, kept), `owner` (username;
  "none" for nobody), `party` (code), `type` (type name), `money` (a money
  kind: commitments with that money at stake), `currency`, `payer`
- instances: `status` (a WatchStatus value: open, at_risk, overdue, …),
  `due_within` (days from now), plus owner, party, type as above
- actions: `status` (open = open or in progress, overdue, closed, or a stored
  status), `owner` ("none": unassigned), `due_within`, plus party, type
- mail: `status` (failed, retrying)

Money at stake is the evaluations' money that is not paid yet (accrued,
projected or due), added up exactly per kind, currency and payer, rounded only
when shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pacta.core.models import Action, Commitment, Instance, Party
from pacta.core.routing import actions_for, responsible_q
from pacta.lib import clock

DUE_SOON_DAYS = 7
WORST_PARTIES = 5
UNPAID = ("accrued", "projected", "due")


class Figure:
    """A number on the dashboard and the list behind it.

    `queryset` may be given as a function that returns it: the list is then built only when
    somebody asks for it (the page shows the numbers; building dozens of lists it never reads
    was a third of the dashboard's Python time).
    """

    def __init__(self, count: int, queryset: QuerySet | Callable[[], QuerySet], list: str,
                 params: dict[str, str] | None = None):
        self.count = count
        self._queryset = queryset
        self.list = list  # commitments | instances | actions | mail
        self.params = params if params is not None else {}

    @property
    def queryset(self) -> QuerySet:
        if not isinstance(self._queryset, QuerySet):
            self._queryset = self._queryset()
        return self._queryset

    def __repr__(self) -> str:
        return f"Figure({self.count}, {self.list!r}, {self.params!r})"


def _figure(queryset: QuerySet | Callable[[], QuerySet], list_name: str, params: dict[str, Any],
            count: int | None = None) -> Figure:
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    figure = Figure(count if count is not None else 0, queryset, list_name, clean)
    if count is None:
        figure.count = figure.queryset.count()
    return figure


def _counts(queryset: QuerySet, **conditions: Q) -> dict[str, int]:
    """Several counts of one queryset in one query: for each name, the rows that meet its condition."""
    return queryset.order_by().aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})


ALL = Q(pk__isnull=False)  # a condition every row meets


@dataclass(frozen=True)
class Scope:
    """The dashboard's filters: whose commitments, which party, which type."""

    owner: Any = None
    party: Party | None = None
    type: str = ""

    def commitment_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.owner is not None:
            q &= responsible_q(self.owner, prefix)
        if self.party is not None:
            q &= Q(**{f"{prefix}agreement__party": self.party})
        if self.type:
            q &= Q(**{f"{prefix}type": self.type})
        return q

    def params(self) -> dict[str, str]:
        return {
            "owner": getattr(self.owner, "username", None),
            "party": getattr(self.party, "code", None),
            "type": self.type or None,
        }


def commitments(scope: Scope = Scope()) -> QuerySet[Commitment]:
    # Removed commitments no longer bind anybody; the commitments list hides them too.
    return Commitment.objects.filter(scope.commitment_q(), removed_in__isnull=True).select_related(
        "agreement__party", "owner"
    )


def instances(scope: Scope = Scope()) -> QuerySet[Instance]:
    return Instance.objects.filter(scope.commitment_q("commitment__")).select_related("commitment__agreement__party")


def actions(scope: Scope = Scope(), *, by_owner: bool = True) -> QuerySet[Action]:
    """Actions on the scope's commitments; with an owner in the scope, that person's actions
    (whoever answers for the commitment)."""
    q = Scope(None, scope.party, scope.type).commitment_q("commitment__")
    if scope.owner is not None and by_owner:
        q &= Q(owner=scope.owner)
    return Action.objects.filter(q).select_related("owner", "commitment__agreement__party")


def open_actions(scope: Scope = Scope()) -> QuerySet[Action]:
    return actions(scope).filter(status__in=Action.OPEN_STATUSES)


def overdue_actions(scope: Scope, today: dt.date) -> QuerySet[Action]:
    return open_actions(scope).filter(due_on__lt=today)


def due_soon(scope: Scope, now: dt.datetime, days: int = DUE_SOON_DAYS) -> QuerySet[Instance]:
    """Open instances due between now and `days` days from now."""
    return instances(scope).filter(status=Instance.Status.OPEN, due__gte=now,
                                   due__lt=now + dt.timedelta(days=days)).order_by("due", "pk")


def at_risk(scope: Scope) -> QuerySet[Instance]:
    return instances(scope).filter(status=Instance.Status.OPEN, health=Instance.Health.AT_RISK).order_by("due", "pk")


def overdue_instances(scope: Scope) -> QuerySet[Instance]:
    return instances(scope).filter(status=Instance.Status.OVERDUE).order_by("due", "pk")


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None


def money_at_stake(queryset: QuerySet[Commitment]) -> list[dict]:
    """Unpaid money of these commitments' last evaluations, per kind, currency and payer.

    Each line: kind, currency, payer, the exact `amount`, and `commitments`:
    the ids of the commitments it comes from. Largest amounts first.
    """
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    sources: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for pk, kind, currency, payer, value in _unpaid_items(queryset):
        amount = _amount(value)
        if amount is None or not amount:
            continue
        key = (kind or "", currency or "", payer or "")
        totals[key] += amount
        sources[key].add(pk)
    lines = [{"kind": k, "currency": c, "payer": p, "amount": totals[(k, c, p)], "commitments": sources[(k, c, p)]}
             for (k, c, p) in totals]
    return sorted(lines, key=lambda line: (line["currency"], -line["amount"], line["kind"], line["payer"]))


# The unpaid money items of a set of commitments, taken apart by the database's JSON functions:
# (commitment id, kind, currency, payer, amount). Only those rows reach Python, not every
# commitment's money list (10,000 commitments: 60 ms of JSON decoding less on each dashboard).
_UNPAID_ITEMS_SQL = {
    # {rows}: the commitments' (id, money)
    "postgresql": (
        "SELECT c.id, e->>'kind', e->>'currency', e->>'payer', e->>'amount' FROM ({rows}) AS c(id, money) "
        "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.money) = 'array' THEN c.money "
        "ELSE '[]'::jsonb END) e "
        "WHERE jsonb_typeof(e) = 'object' AND e->>'state' IN ({states})"
    ),
    # {ids}: the commitments' ids
    "sqlite": (
        "SELECT c.id, json_extract(e.value, '$.kind'), json_extract(e.value, '$.currency'), "
        "json_extract(e.value, '$.payer'), json_extract(e.value, '$.amount') FROM {table} c, json_each(c.money) e "
        "WHERE c.id IN ({ids}) AND json_type(c.money) = 'array' AND e.type = 'object' "
        "AND json_extract(e.value, '$.state') IN ({states})"
    ),
}


def _unpaid_items(queryset: QuerySet[Commitment]):
    """(commitment id, kind, currency, payer, amount as stored) of the unpaid money of these commitments."""
    connection = connections[queryset.db]
    template = _UNPAID_ITEMS_SQL.get(connection.vendor)
    if template is None:  # another database: the same, in Python
        for pk, items in queryset.values_list("pk", "money"):
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict) and item.get("state") in UNPAID:
                    yield pk, item.get("kind"), item.get("currency"), item.get("payer"), item.get("amount")
        return
    if "{rows}" in template:
        inner, params = queryset.order_by().values_list("pk", "money").query.sql_with_params()
    else:
        inner, params = queryset.order_by().values("pk").query.sql_with_params()
    sql = template.format(table=connection.ops.quote_name(Commitment._meta.db_table), ids=inner, rows=inner,
                          states=", ".join(["%s"] * len(UNPAID)))
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *UNPAID))
        yield from cursor.fetchall()


def _portfolio_numbers(scope: Scope, now: dt.datetime, today: dt.date) -> dict[str, Any]:
    """The numbers of every figure but the reader's own, as of `now`: plain data a cache can keep."""
    base = commitments(scope)
    anyone = Scope(None, scope.party, scope.type)
    theirs = Q(owner=scope.owner) if scope.owner is not None else ALL
    soon = Q(due_on__gte=today, due_on__lt=today + dt.timedelta(days=DUE_SOON_DAYS))
    by_owner = (
        actions(scope).filter(status__in=Action.OPEN_STATUSES).order_by()
        .values("owner").annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    )
    # Ranked and cut by the database: only the worst parties are read, not all with a problem.
    worst = (
        base.filter(status__in=[Commitment.Status.BROKEN, Commitment.Status.AT_RISK]).order_by()
        .values("agreement__party", "agreement__party__name")
        .annotate(broken=Count("pk", filter=Q(status=Commitment.Status.BROKEN)),
                  at_risk=Count("pk", filter=Q(status=Commitment.Status.AT_RISK)))
        .order_by("-broken", "-at_risk", "agreement__party__name", "agreement__party")[:WORST_PARTIES]
    )
    return {
        "now": now,
        "today": today,
        "counted_at": timezone.now(),
        "commitments": dict(base.order_by().values_list("status").annotate(n=Count("pk"))),
        "money": money_at_stake(base),
        # Unassigned actions belong to nobody: with an owner filter, those on the commitments the owner answers for.
        "actions": _counts(open_actions(anyone), open=theirs, overdue=theirs & Q(due_on__lt=today),
                           due_soon=theirs & soon, unassigned=_unassigned_q(scope)),
        "actions_by_owner": [(r["owner"], r["open"], r["overdue"]) for r in by_owner],
        "worst_parties": [(r["agreement__party"], r["broken"], r["at_risk"]) for r in worst],
        # three counts: each an index's range, cheaper than one pass over all open and overdue instances
        "instances": {"due_soon": due_soon(scope, now).count(), "at_risk": at_risk(scope).count(),
                      "overdue": overdue_instances(scope).count()},
    }


def _unassigned_q(scope: Scope) -> Q:
    return Q(scope.commitment_q("commitment__"), owner__isnull=True)


def _portfolio_figures(scope: Scope, numbers: dict[str, Any]) -> dict[str, Any]:
    """The figures of `numbers`, each with the list behind it (built when asked for)."""
    params = scope.params()
    now, today = numbers["now"], numbers["today"]
    counts = numbers["commitments"]
    status = {"all": _figure(lambda: commitments(scope), "commitments", params, sum(counts.values()))}
    for code in Commitment.Status.values:
        status[code] = _figure(lambda code=code: commitments(scope).filter(status=code), "commitments",
                               {**params, "status": code}, counts.get(code, 0))
    money = []
    for counted in numbers["money"]:
        ids = counted["commitments"]
        line = {k: v for k, v in counted.items() if k != "commitments"}
        line["figure"] = _figure(lambda ids=ids: commitments(scope).filter(pk__in=ids), "commitments", {
            **params, "money": line["kind"], "currency": line["currency"], "payer": line["payer"]}, len(ids))
        money.append(line)
    n = numbers["actions"]
    soon = Q(due_on__gte=today, due_on__lt=today + dt.timedelta(days=DUE_SOON_DAYS))
    anyone = Scope(None, scope.party, scope.type)
    action_figures = {
        "open": _figure(lambda: open_actions(scope), "actions", {**params, "status": "open"}, n["open"]),
        "overdue": _figure(lambda: overdue_actions(scope, today), "actions", {**params, "status": "overdue"},
                           n["overdue"]),
        "unassigned": _figure(lambda: open_actions(anyone).filter(_unassigned_q(scope)), "actions",
                              {**params, "owner": "none", "status": "open", "answered_by": params["owner"]},
                              n["unassigned"]),
        "due_soon": _figure(lambda: open_actions(scope).filter(soon), "actions",
                            {**params, "status": "open", "due_within": DUE_SOON_DAYS}, n["due_soon"]),
    }
    n = numbers["instances"]
    return {
        "commitments": status,
        "money": money,
        "actions": action_figures,
        "actions_by_owner": _actions_by_owner(scope, today, numbers["actions_by_owner"]),
        "worst_parties": _worst_parties(scope, numbers["worst_parties"]),
        "due_soon": _figure(lambda: due_soon(scope, now), "instances",
                            {**params, "status": "open", "due_within": DUE_SOON_DAYS}, n["due_soon"]),
        "at_risk": _figure(lambda: at_risk(scope), "instances", {**params, "status": "at_risk"}, n["at_risk"]),
        "overdue": _figure(lambda: overdue_instances(scope), "instances", {**params, "status": "overdue"},
                           n["overdue"]),
    }


def _actions_by_owner(scope: Scope, today: dt.date, rows: list[tuple[int | None, int, int]]) -> list[dict]:
    """Open and overdue actions per owner (None: unassigned), most overdue first."""
    owners = get_user_model().objects.in_bulk([pk for pk, _, _ in rows if pk is not None])
    result = []
    for pk, open_count, overdue_count in rows:
        owner = owners.get(pk)
        if pk is not None and owner is None:
            continue  # deleted since it was counted
        who = Scope(owner, scope.party, scope.type) if owner else scope
        name = owner.username if owner else "none"

        def base(who=who, owner=owner):
            return actions(who) if owner else actions(scope).filter(owner__isnull=True)

        result.append({
            "owner": owner,
            "open": _figure(lambda base=base: base().filter(status__in=Action.OPEN_STATUSES), "actions",
                            {**scope.params(), "owner": name, "status": "open"}, open_count),
            "overdue": _figure(lambda base=base: base().filter(status__in=Action.OPEN_STATUSES, due_on__lt=today),
                               "actions", {**scope.params(), "owner": name, "status": "overdue"}, overdue_count),
        })
    return sorted(result, key=lambda r: (-r["overdue"].count, -r["open"].count, r["owner"] is None,
                                         getattr(r["owner"], "username", "")))


def _worst_parties(scope: Scope, rows: list[tuple[int, int, int]]) -> list[dict]:
    """The parties with the most broken, then at-risk commitments (only those with any)."""
    parties = Party.objects.in_bulk([pk for pk, _, _ in rows])
    result = []
    for pk, broken, at_risk_count in rows:
        party = parties.get(pk)
        if party is None:
            continue  # deleted since it was counted
        there = Scope(scope.owner, party, scope.type)
        result.append({
            "party": party,
            "broken": _figure(lambda there=there: commitments(there).filter(status=Commitment.Status.BROKEN),
                              "commitments", {**there.params(), "status": "broken"}, broken),
            "at_risk": _figure(lambda there=there: commitments(there).filter(status=Commitment.Status.AT_RISK),
                               "commitments", {**there.params(), "status": "at_risk"}, at_risk_count),
        })
    return result


def _cache_key(scope: Scope) -> str:
    return "pacta:dashboard:v1:" + ":".join(
        str(v) for v in (getattr(scope.owner, "pk", ""), getattr(scope.party, "pk", ""), scope.type))


def dashboard_figures(user=None, owner=None, party: Party | None = None, type: str = "",
                      now: dt.datetime | None = None, *, reuse: float = 0) -> dict[str, Any]:
    """Every figure of the dashboard, filtered by owner, party and commitment type, as of `now`.

    With `reuse` (seconds) and no `now`, the figures of the portfolio (all but `mine` and `mail`)
    may be those counted for the same filters at most that long ago (`counted_at` says when), kept
    in Django's cache: the dashboard is everybody's first page and adds up the whole portfolio.

    Returns a dict:
    - `now`, `counted_at` (the wall-clock moment the portfolio's figures were counted),
      `scope` (the filters as list parameters)
    - `commitments`: Figure per summary status, and `all`
    - `money`: money at stake, one line per kind, currency and payer:
      {kind, currency, payer, amount (exact Decimal), figure (the commitments)}
    - `actions`: Figures `open`, `overdue`, `unassigned`, `due_soon` (open, due within 7 days)
    - `actions_by_owner`: [{owner (None: unassigned), open, overdue}]
    - `worst_parties`: [{party, broken, at_risk}], at most five
    - `due_soon`: Figure of the open instances due in the next 7 days
    - `at_risk`, `overdue`: Figures of the instances at risk and overdue
    - `mail`: Figures `failed` and `retrying` (all mail, or `user`'s when `user` is no manager)
    - `mine` (with `user`): Figures `open`, `overdue` (own actions) and `deputised`
      (open actions of away owners `user` stands in for)
    """
    scope = Scope(owner, party, type or "")
    key = _cache_key(scope) if reuse and now is None else None
    numbers = cache.get(key) if key else None
    if numbers is None:
        moment = now or clock.now()
        numbers = _portfolio_numbers(scope, moment, clock.local_today(at=moment))
        if key:
            cache.set(key, numbers, reuse)
    figures: dict[str, Any] = {
        "now": numbers["now"],
        "counted_at": numbers["counted_at"],
        "scope": {k: v for k, v in scope.params().items() if v},
        **_portfolio_figures(scope, numbers),
        "mail": _mail_figures(user),
    }
    if user is not None:
        today = clock.local_today(at=now or clock.now())
        mine = Scope(user)
        counts = _counts(open_actions(mine), open=ALL, overdue=Q(due_on__lt=today))
        figures["mine"] = {
            "open": _figure(lambda: open_actions(mine), "actions", {"owner": user.username, "status": "open"},
                            counts["open"]),
            "overdue": _figure(lambda: overdue_actions(mine, today), "actions",
                               {"owner": user.username, "status": "overdue"}, counts["overdue"]),
            "deputised": _figure(actions_for(user, today).exclude(owner=user), "actions",
                                 {"deputy": user.username, "status": "open"}),
        }
    return figures


def _mail_figures(user) -> dict[str, Figure]:
    from pacta.core.outbox import failed_mail, retrying_mail

    failed, retrying = failed_mail(), retrying_mail()
    params: dict[str, str] = {}
    if user is not None and not user.is_manager:
        failed, retrying = failed.filter(recipient=user), retrying.filter(recipient=user)
        params = {"recipient": user.username}
    return {
        "failed": _figure(failed, "mail", {**params, "status": "failed"}),
        "retrying": _figure(retrying, "mail", {**params, "status": "retrying"}),
    }


def personal_figures(user, now: dt.datetime | None = None, *, limit: int = 20) -> dict[str, Any]:
    """What one person's weekly digest lists, as of `now`: the first `limit` rows of each
    list, and each list's full count (`<name>_count`)."""
    now = now or clock.now()
    today = clock.local_today(user.timezone or None, now)
    mine = Scope(user)
    lists = {
        "due_this_week": due_soon(mine, now),
        "at_risk": at_risk(mine),
        "overdue": overdue_instances(mine),
        "open_actions": actions_for(user, today).select_related("owner", "commitment__agreement__party")
        .order_by("due_on", "pk"),
        "unassigned_actions": open_actions().filter(owner__isnull=True).order_by("due_on", "pk")
        if user.is_manager else Action.objects.none(),
    }
    figures: dict[str, Any] = {"today": today}
    for name, queryset in lists.items():
        figures[name] = list(queryset[:limit])
        figures[f"{name}_count"] = queryset.count()
    figures["money"] = money_at_stake(commitments(mine))
    return figures
