"""The watcher: verdicts become deviations, deviations become actions and alerts.

One pass (`run_pass`, looped by `pacta watch`, Healthchecks' `sendalerts`):

1. evaluate the commitments that are due (`next_check_at` <= now) and record
   every change of an instance or a commitment into or out of at risk,
   overdue, broken or kept late as a `Deviation` row;
2. process the unprocessed deviations (the queue): open an action for each
   new problem unless one is open for the same instance, and queue one alert
   e-mail per recipient;
3. queue the daily reminders of overdue actions and the weekly digests;
4. send the queued e-mail (pacta.core.outbox), retrying with backoff.

Several watchers may run against one PostgreSQL. A commitment is evaluated by
one of them at a time (row locks, SKIP LOCKED), a deviation is claimed by
exactly one (`filter(id=…, processed_at=None).update(…) == 1`) in the same
transaction that opens its action and queues its alert, and a mail is claimed
before it is sent (see pacta.core.outbox): a watcher killed at any point loses
nothing, and nothing is sent twice.

Deviations are recorded wherever commitments are evaluated:
`pacta.core.evaluation.evaluate_and_store` calls `record_verdict_changes` with
the stored instance rows before it replaces them, so a re-evaluation after an
import records its deviations too. `take_snapshots` and
`record_evaluation_changes` do the same for verdicts stored by other means.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from pacta.core import outbox, webhooks
from pacta.core.actions.register import RegisterError
from pacta.core.actions.watch import do_open_action
from pacta.core.commitments.base import InstanceResult, Result, money_to_json
from pacta.core.models import Action, Agreement, ApiToken, ApiTokenUse, Commitment, Deviation, Instance, WatchStatus
from pacta.core.routing import recipient_for
from pacta.lib import clock

log = logging.getLogger(__name__)

# The states a deviation is about: a change into or out of one of them is recorded.
PROBLEMS = frozenset({WatchStatus.AT_RISK, WatchStatus.OVERDUE, WatchStatus.BROKEN, WatchStatus.KEPT_LATE})
# Problems that cannot change any more: once old enough, they are history, not work.
FINAL = frozenset({WatchStatus.BROKEN, WatchStatus.KEPT_LATE})

BATCH = 100
HISTORY_DAYS = 30
RETRY_FAILED_EVALUATION = dt.timedelta(hours=1)


def watch_status(status: str, health: str | None) -> str:
    """An instance's status as the watcher compares it: open and at risk is `at_risk`."""
    return WatchStatus.AT_RISK if status == "open" and health == "at_risk" else status


# ---------------------------------------------------------------------------
# Snapshots: a commitment's verdict before and after an evaluation


@dataclass(frozen=True)
class InstanceState:
    status: str  # a WatchStatus value
    due: str | None = None  # ISO date or timestamp
    done: str | None = None
    days_late: int | None = None
    money: tuple = ()  # money items as JSON (COMMITMENTS.md section 5)
    explanation: str = ""

    def evidence(self) -> dict[str, Any]:
        return {"due": self.due, "done": self.done, "days_late": self.days_late}


@dataclass(frozen=True)
class CommitmentState:
    status: str  # "" when never evaluated
    instances: dict[str, InstanceState] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    money: tuple = ()
    explanation: str = ""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def lock_commitments(commitment_ids: Iterable[int]) -> None:
    """Inside a transaction, lock these commitments (in id order), so that two evaluations
    of one commitment — two watchers, or the watcher and an import — take turns and each
    compares against what the other stored."""
    if connection.in_atomic_block:
        ids = sorted(set(commitment_ids))
        list(Commitment.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


_STATE_FIELDS = ("key", "status", "health", "due", "done", "days_late", "money", "explanation")


def _stored_state(status, health, due, done, days_late, money, explanation) -> InstanceState:
    return InstanceState(watch_status(status, health), _iso(due), _iso(done), days_late, tuple(money or ()), explanation)


def take_snapshots(commitment_ids: Iterable[int], *, lock: bool = True) -> dict[int, CommitmentState]:
    """The stored verdicts of these commitments, keyed by id.

    Inside a transaction the commitments are locked first (`lock_commitments`).
    """
    ids = sorted(set(commitment_ids))
    if lock:
        lock_commitments(ids)
    states: dict[int, dict[str, InstanceState]] = {pk: {} for pk in ids}
    for cid, key, *fields in Instance.objects.filter(commitment_id__in=ids).values_list(
            "commitment_id", *_STATE_FIELDS):
        states[cid][key] = _stored_state(*fields)
    result = {}
    for pk, status, evaluated_at, counts, money, explanation in Commitment.objects.filter(pk__in=ids).values_list(
        "pk", "status", "evaluated_at", "counts", "money", "explanation"
    ):
        result[pk] = CommitmentState(
            status if evaluated_at is not None else "", states[pk], counts or {}, tuple(money or ()), explanation
        )
    return result


def state_of_instance(instance: InstanceResult) -> InstanceState:
    """A fresh instance verdict of the engine, in the shape of a snapshot."""
    return InstanceState(
        watch_status(str(instance.status), str(instance.health) if instance.health else None), _iso(instance.due),
        _iso(instance.done), instance.days_late, tuple(money_to_json(m) for m in instance.money), instance.explanation,
    )


def state_of_result(result: Result, instances: Iterable[InstanceResult] | None = None) -> CommitmentState:
    """A fresh verdict of the engine, in the shape of a snapshot (with only `instances`
    of it when given)."""
    chosen = result.instances if instances is None else instances
    return CommitmentState(result.status, {i.key: state_of_instance(i) for i in chosen}, dict(result.counts),
                           tuple(money_to_json(m) for m in result.money), result.explanation)


def _is_deviation(old: str, new: str) -> bool:
    return old != new and (old in PROBLEMS or new in PROBLEMS)


def detect_deviations(commitment_id: int, before: CommitmentState, after: CommitmentState,
                      *, at: dt.datetime) -> list[Deviation]:
    """The deviations between two verdicts of one commitment (unsaved rows).

    One row per instance that went into or out of a problem state (a new
    instance counts as coming from nothing, a vanished one as going to nothing),
    and one for the commitment when its summary status did. Pure: no queries.
    """
    return [Deviation(**fields, at=at) for fields in _deviation_fields(commitment_id, before, after)]


def _deviation_fields(commitment_id: int, before: CommitmentState, after: CommitmentState) -> list[dict[str, Any]]:
    """The fields (all but `at`) of the deviations `detect_deviations` finds."""
    found = []
    keys = list(after.instances) + [k for k in before.instances if k not in after.instances]
    for key in keys:
        old, new = before.instances.get(key), after.instances.get(key)
        old_status, new_status = (old.status if old else ""), (new.status if new else "")
        if not _is_deviation(old_status, new_status):
            continue
        source = new or old
        found.append({
            "commitment_id": commitment_id, "instance_key": key, "old_status": old_status, "new_status": new_status,
            "reason": source.explanation, "evidence": source.evidence(), "money": list(new.money) if new else [],
        })
    if _is_deviation(before.status, after.status):
        found.append({
            "commitment_id": commitment_id, "instance_key": "", "old_status": before.status,
            "new_status": after.status, "reason": after.explanation, "evidence": {"counts": after.counts},
            "money": list(after.money),
        })
    return found


def record_evaluation_changes(
    before: dict[int, CommitmentState],
    results: Iterable[tuple[Commitment | int, Result]] | None = None,
    *,
    at: dt.datetime,
) -> list[Deviation]:
    """Store the deviations between `before` (from take_snapshots) and the new verdicts.

    The new verdicts are `results` — pairs of (commitment or its id, Result) —
    or, when omitted, the rows stored since. Call it in the transaction that
    stored them. Returns the saved deviations.
    """
    ids = list(before)
    if results is None:
        after = take_snapshots(ids, lock=False)
    else:
        after = {getattr(c, "pk", c): state_of_result(r) for c, r in results}
    found = []
    for pk in ids:
        if pk in after:
            found.extend(detect_deviations(pk, before[pk], after[pk], at=at))
    Deviation.objects.bulk_create(found)
    return found


def _watch_status_expr() -> pl.Expr:
    """`watch_status` over a frame's `status` and `health` columns."""
    at_risk = WatchStatus.AT_RISK.value
    return (pl.when((pl.col("status") == "open") & (pl.col("health") == at_risk))
            .then(pl.lit(at_risk)).otherwise(pl.col("status")))


def _changed_instances(stored: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """The instances whose watch status went into or out of a problem: commitment_id, key, `old`
    and `new` status ("" for none), the stored row's `id` and the new instance's `row`; in the
    order of `detect_deviations` (new instances in their order, then the vanished ones)."""
    problems = [p.value for p in PROBLEMS]
    old = stored.select("commitment_id", "key", "id", _watch_status_expr().alias("old"),
                        pl.int_range(pl.len()).alias("stored_row"))
    fresh = new.select("commitment_id", "key", "row", _watch_status_expr().alias("new"))
    both = fresh.join(old, on=["commitment_id", "key"], how="full", coalesce=True).with_columns(
        pl.col("old").fill_null(""), pl.col("new").fill_null(""))
    moved = (pl.col("old") != pl.col("new")) & (pl.col("old").is_in(problems) | pl.col("new").is_in(problems))
    return both.filter(moved).sort("commitment_id", "row", "stored_row", nulls_last=True)


def record_verdict_changes(results: list[tuple[int, Result]], stored: pl.DataFrame, new: pl.DataFrame,
                           instances: list[InstanceResult], *, at: dt.datetime) -> int:
    """Store the deviations between the stored verdicts of a batch of commitments and their
    new `results` ((commitment id, Result) pairs), set-based; return how many.

    `stored`: the commitments' stored instance rows (columns id, commitment_id, key, status,
    health). `new`: the new instances (commitment_id, key, status, health, and `row`, the
    instance's place in `instances`). Call it in the transaction that replaces the stored
    verdicts, before it does: the rows of the commitment that are the same as
    `detect_deviations` would find with snapshots of every instance, which this builds only for
    the instances that changed.
    """
    ids = [pk for pk, _r in results]
    changed = _changed_instances(stored, new)
    vanished = _stored_states(changed.filter(pl.col("row").is_null())["id"].to_list())
    statuses = {pk: status if evaluated_at is not None else "" for pk, status, evaluated_at in
                Commitment.objects.filter(pk__in=ids).values_list("pk", "status", "evaluated_at")}
    by_commitment: dict[int, list[tuple]] = defaultdict(list)
    for row in changed.select("commitment_id", "key", "old", "id", "row").iter_rows():
        by_commitment[row[0]].append(row[1:])
    found = []
    for pk, result in sorted(results, key=lambda pair: pair[0]):
        moved = by_commitment.get(pk, [])
        if not moved and not _is_deviation(statuses.get(pk, ""), result.status):
            continue
        before = CommitmentState(statuses.get(pk, ""), {
            key: vanished[stored_id] if row is None else InstanceState(old)
            for key, old, stored_id, row in moved if old
        })
        after = state_of_result(result, [instances[row] for _k, _o, _s, row in moved if row is not None])
        found.extend(_deviation_fields(pk, before, after))
    _insert_deviations(found, at)
    return len(found)


_DEVIATION_COLUMNS = ("commitment_id", "instance_key", "old_status", "new_status", "reason", "evidence", "money")


def _insert_deviations(found: list[dict[str, Any]], at: dt.datetime) -> None:
    """Insert deviations (`_deviation_fields`) with plain SQL: the ORM's bulk_create costs
    more than finding them when a first evaluation finds a hundred thousand."""
    if not found:
        return
    ops = connection.ops
    columns = (*_DEVIATION_COLUMNS, "at", "created_at", "outcome")
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        Deviation._meta.db_table, ", ".join(ops.quote_name(c) for c in columns), ", ".join(["%s"] * len(columns)))
    moments = ops.adapt_datetimefield_value(at), ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            (f["commitment_id"], f["instance_key"], f["old_status"], f["new_status"], f["reason"],
             ops.adapt_json_value(f["evidence"], None), ops.adapt_json_value(f["money"], None), *moments, "")
            for f in found
        ])


def _stored_states(instance_ids: list[int]) -> dict[int, InstanceState]:
    """Snapshots of these stored instance rows, by id."""
    return {pk: _stored_state(*fields) for pk, _key, *fields in
            Instance.objects.filter(pk__in=instance_ids).values_list("pk", *_STATE_FIELDS)}


# ---------------------------------------------------------------------------
# 1. Evaluating what is due


def due_commitments(now: dt.datetime) -> QuerySet[Commitment]:
    """Commitments whose verdict may have changed by `now`, and those never evaluated
    (drafts bind nobody and are not evaluated: pacta.core.evaluation)."""
    return (
        Commitment.objects.filter(Q(next_check_at__lte=now) | Q(next_check_at__isnull=True, evaluated_at__isnull=True))
        .exclude(agreement__status=Agreement.Status.DRAFT)
        .order_by(F("next_check_at").asc(nulls_first=True), "pk")
    )


def _evaluate(ids: list[int], now: dt.datetime) -> int:
    """Evaluate these commitments if still due and not taken by another watcher; return how many."""
    from pacta.core.evaluation import evaluate_and_store

    with transaction.atomic():
        mine = list(due_commitments(now).filter(pk__in=ids).select_for_update(skip_locked=True, of=("self",))
                    .values_list("pk", flat=True))
        if not mine:
            return 0
        # evaluate_and_store records the deviations (record_verdict_changes,
        # before it replaces the verdicts).
        evaluate_and_store(commitments=Commitment.objects.filter(pk__in=mine), as_of=now)
        # An evaluation that did not move a commitment's next check forward
        # would have it evaluated again at once, forever.
        due_commitments(now).filter(pk__in=mine).update(next_check_at=now + RETRY_FAILED_EVALUATION)
    return len(mine)


def database_gone(exc: BaseException) -> bool:
    """Is `exc` the database going away (restarted, unreachable) rather than a problem of the work?
    Then retrying piece by piece is pointless: the pass ends, and the loop waits for the database."""
    return isinstance(exc, (OperationalError, InterfaceError)) and not connection.is_usable()


def evaluate_due(now: dt.datetime, *, batch: int | None = None, should_stop: Callable[[], bool] = bool) -> int:
    """Evaluate every commitment due at `now`, in batches; return how many were evaluated.

    A batch that fails is retried one commitment at a time; a commitment that
    fails alone is logged and tried again an hour later (Healthchecks does the
    same), so one bad commitment never stops the watcher.
    """
    batch = batch or getattr(settings, "PACTA_WATCH_BATCH", BATCH)
    done, skipped = 0, set()
    while not should_stop():
        ids = list(due_commitments(now).exclude(pk__in=skipped).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        try:
            evaluated = _evaluate(ids, now)
        except Exception as exc:
            if database_gone(exc):
                raise
            log.exception("evaluating %d commitments failed; retrying one by one", len(ids))
            evaluated = sum(_evaluate_alone(pk, now) for pk in ids)
        skipped.update(ids)  # taken by another watcher, evaluated, or failed: not again in this pass
        done += evaluated
    return done


def _evaluate_alone(pk: int, now: dt.datetime) -> int:
    try:
        return _evaluate([pk], now)
    except Exception as exc:
        if database_gone(exc):
            raise
        log.exception("evaluating commitment %s failed; next try in an hour", pk)
        Commitment.objects.filter(pk=pk).update(next_check_at=now + RETRY_FAILED_EVALUATION)
        return 0


# ---------------------------------------------------------------------------
# 2. Processing the deviations


def _moment(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def is_history(deviation: Deviation, now: dt.datetime) -> bool:
    """A problem that cannot change any more and happened long ago is history, not work.

    The first evaluation of years of imported events finds many late deliveries
    of long ago; an action and an alert for each would bury what matters now.
    """
    if deviation.new_status not in FINAL:
        return False
    moments = [m for m in (_moment(deviation.evidence.get("due")), _moment(deviation.evidence.get("done"))) if m]
    days = getattr(settings, "PACTA_WATCH_HISTORY_DAYS", HISTORY_DAYS)
    return bool(moments) and max(moments) < now - dt.timedelta(days=days)


def _open_action_for(deviation: Deviation) -> Action | None:
    return Action.objects.filter(
        commitment=deviation.commitment_id, instance_key=deviation.instance_key, status__in=Action.OPEN_STATUSES
    ).select_related("owner").first()


def _open_or_join(deviation: Deviation) -> Action:
    """Open the deviation's action — or, when another watcher opened one for the
    same instance a moment ago (the database refuses a second), join that one."""
    try:
        action = do_open_action(deviation.commitment, acting_user=None, deviation=deviation)
        deviation.outcome = Deviation.Outcome.OPENED_ACTION
    except (IntegrityError, RegisterError):
        action = _open_action_for(deviation)
        deviation.outcome = Deviation.Outcome.JOINED_ACTION
        deviation.action = action
    return action


def _process(deviation: Deviation, now: dt.datetime, alerts: dict) -> None:
    """Decide what one claimed deviation leads to; collect its alert by recipient."""
    action = _open_action_for(deviation) if deviation.instance_key else None
    if not deviation.instance_key:
        deviation.outcome = Deviation.Outcome.RECORDED  # the instances' own deviations carry the work
    elif action is not None:
        deviation.outcome = Deviation.Outcome.JOINED_ACTION
        deviation.action = action
    elif deviation.new_status in PROBLEMS and not is_history(deviation, now):
        action = _open_or_join(deviation)
    else:
        deviation.outcome = Deviation.Outcome.HISTORY if deviation.new_status in PROBLEMS else Deviation.Outcome.RECORDED
    deviation.save(update_fields=["outcome", "action"])
    if action is not None:
        recipient = recipient_for(action, clock.local_today(deviation.commitment.agreement.timezone, now))
        if recipient is not None and outbox.wants_alert(recipient, deviation.new_status):
            alerts[recipient].append(deviation)


def process_deviations(now: dt.datetime, *, batch: int | None = None) -> int:
    """Process one batch of unprocessed deviations; return how many this watcher claimed.

    Claiming, opening actions and queueing the alerts happen in one
    transaction: a watcher killed half-way leaves the deviations unprocessed
    for the next one, with nothing half done.
    """
    batch = batch or getattr(settings, "PACTA_WATCH_BATCH", BATCH)
    with transaction.atomic():
        queue = (Deviation.objects.filter(processed_at__isnull=True).order_by("pk")
                 .select_for_update(skip_locked=True, of=("self",))
                 .select_related("commitment__agreement__party"))
        claimed = []
        for deviation in queue[:batch]:
            if Deviation.objects.filter(pk=deviation.pk, processed_at__isnull=True).update(
                processed_at=timezone.now()
            ) == 1:
                claimed.append(deviation)
        alerts: dict[Any, list[Deviation]] = defaultdict(list)
        for deviation in claimed:
            _process(deviation, now, alerts)
        for recipient, deviations in alerts.items():
            outbox.queue_alert(recipient, deviations, now)
    return len(claimed)


# ---------------------------------------------------------------------------
# The pass


@dataclass
class PassReport:
    evaluated: int = 0
    processed: int = 0
    reminders: int = 0
    digests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    drafts: int = 0
    pruned: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def summary(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items() if value)


def prepare_update_drafts(now: dt.datetime) -> int:
    """Once a day, have the status updates that fall due within a week drafted
    (pacta.core.actions.engagement.do_prepare_due_updates); return how many.

    The day's marker is an atomic `cache.add`, so several watchers prepare once
    (and preparing twice would only recompose the same untouched drafts)."""
    from django.core.cache import cache

    from pacta.core.actions.engagement import do_prepare_due_updates

    if not cache.add(f"pacta:update-drafts:{clock.local_today(at=now).isoformat()}", True, timeout=2 * 86400):
        return 0
    return len(do_prepare_due_updates(now=now))


API_LOG_DAYS = 90


def prune_api_log(now: dt.datetime) -> int:
    """Forget API token uses older than `PACTA_API_LOG_DAYS` days (0 keeps them all); the rate limit
    counts only the last minute and the token pages show the recent uses. Token by token, so that
    each deletion walks the (token, at) index instead of the whole log."""
    days = int(getattr(settings, "PACTA_API_LOG_DAYS", API_LOG_DAYS))
    if days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=days)
    return sum(ApiTokenUse.objects.filter(token_id=pk, at__lt=cutoff).delete()[0]
               for pk in ApiToken.objects.values_list("pk", flat=True))


def run_pass(*, now: dt.datetime | None = None, should_stop: Callable[[], bool] = bool,
             digests: bool | None = None) -> PassReport:
    """One pass of the watcher as of `now` (default: the domain clock); see the module docstring.

    Weekly digests are queued by the watcher unless settings.PACTA_DIGEST_IN_WATCH
    is false (then cron runs `pacta digest`).
    """
    now = now or clock.now()
    report = PassReport()
    report.evaluated = evaluate_due(now, should_stop=should_stop)
    while not should_stop():
        processed = process_deviations(now)
        report.processed += processed
        if not processed:
            break
    report.reminders = outbox.queue_reminders(now)
    if getattr(settings, "PACTA_DIGEST_IN_WATCH", True) if digests is None else digests:
        report.digests = outbox.queue_digests(now)
    report.drafts = prepare_update_drafts(now)
    sending = outbox.send_queued_mail(should_stop=should_stop)
    report.sent, report.retried, report.failed = sending.sent, sending.retried, sending.failed
    webhooks.deliver_due_webhooks(timezone.now(), should_stop=should_stop)  # wall clock, like mail
    report.pruned = prune_api_log(timezone.now())  # the log is written on the wall clock too
    return report
