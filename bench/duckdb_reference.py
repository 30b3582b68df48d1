"""The benchmark's yardstick: pacta's core figures as hand-written DuckDB SQL.

From the same agreements YAML and events CSV as `pacta check`, per party:

- `late_orders`: orders delivered after their due date plus grace, or not
  delivered and past it (on_time_delivery `kept_late` + `overdue`), and the
  `penalty` they carry (percent per day or per started period, capped, none for
  flagged force majeure);
- `unannounced`: deliveries with no notice between `max_before` and
  `min_before` ahead (notice_before_delivery `broken`);
- `volume_short`: ended periods whose invoiced quantity stayed below the
  minimum (volume_commitment `broken`), from the volumes per party and period;
- `rebate`: the rebate on each period's turnover (invoices minus credit notes
  that are not rebate payouts) by tiers, whole or marginal, and
  `rebate_overdue`: periods whose rebate was not paid by credit note within
  `payout_days` (payouts applied to the oldest period first);
- `overdue_invoices`: invoices not fully paid and past their payment term
  (payment_term `overdue`), and `unpaid`: what is still owed on them.

It reads only what the SQL needs from the agreements (timing includes reading
the YAML and the CSV) and writes the figures as CSV for the runner to compare
with pacta's. Amounts are exact DECIMAL; a party's penalties are divided by
`per_days` once, at the end.

Run: `python -m bench.duckdb_reference --agreements A.yaml --events E.csv --as-of TS --out figures.csv`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

FIGURES = ("late_orders", "penalty", "unannounced", "volume_short", "rebate", "rebate_overdue",
           "overdue_invoices", "unpaid")

# ---------------------------------------------------------------------------
# Parameters from the agreements file, as small tables


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _seconds(iso: str) -> int:
    days, hours, minutes, seconds = (int(g or 0) for g in _DURATION.match(iso).groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _load_table(con, name: str, columns: str, rows: list[tuple]) -> None:
    """Create table `name` ("col TYPE, ...") from Python rows, passed as one text list per column."""
    names_types = [c.strip().split(" ", 1) for c in re.split(r",(?![^()]*\))", columns)]
    values = [[None if v is None else str(v) for v in column] for column in zip(*rows)] or [[] for _ in names_types]
    selects = ", ".join(f"unnest(${i + 1}::VARCHAR[])::{kind} AS {col}" for i, (col, kind) in enumerate(names_types))
    con.execute(f"CREATE TABLE {name} AS SELECT {selects}", values)


def load_terms(con, agreements_path: Path) -> None:
    """The parameters the SQL needs, one table per commitment type (one row per party)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with agreements_path.open(encoding="utf-8") as f:
        docs = yaml.load(f, Loader=loader)["agreements"]
    parties, otd, notice, volume, rebate, tiers, payment = [], [], [], [], [], [], []
    for a in docs:
        party = a["party"]
        parties.append((party, a.get("timezone", "Europe/Amsterdam")))
        for c in a["commitments"]:
            kind = c["type"]
            if kind == "on_time_delivery":
                p = c.get("penalty") or {}
                otd.append((party, c.get("grace_days", 0), p.get("percent", 0), p.get("per_days", 1),
                            p.get("per_started_period", False), p.get("cap_percent"), p.get("force_majeure", False)))
            elif kind == "notice_before_delivery":
                notice.append((party, _seconds(c["min_before"]),
                               _seconds(c["max_before"]) if c.get("max_before") else None))
            elif kind == "volume_commitment":
                volume.append((party, c.get("period", "year"), c.get("minimum")))
            elif kind == "volume_rebate":
                rebate.append((party, c.get("period", "year"), c.get("mode", "whole"), c.get("payout_days", 30)))
                ordered = sorted(c["tiers"], key=lambda t: Decimal(str(t["from"])))
                for i, t in enumerate(ordered):
                    upto = ordered[i + 1]["from"] if i + 1 < len(ordered) else None
                    tiers.append((party, t["from"], upto, t["rate"]))
            elif kind == "payment_term":
                payment.append((party, c["days"], c.get("from") == "end_of_month"))
    _load_table(con, "parties", "party VARCHAR, tz VARCHAR", parties)
    _load_table(con, "otd", "party VARCHAR, grace INT, percent DECIMAL(9,4), per_days INT, per_started BOOLEAN, "
                "cap DECIMAL(9,4), fm_excused BOOLEAN", otd)
    _load_table(con, "notice_terms", "party VARCHAR, min_s INT, max_s INT", notice)
    _load_table(con, "volume_terms", "party VARCHAR, period VARCHAR, minimum DECIMAL(18,4)", volume)
    _load_table(con, "rebate_terms", "party VARCHAR, period VARCHAR, mode VARCHAR, payout_days INT", rebate)
    _load_table(con, "tiers", "party VARCHAR, lo DECIMAL(18,4), hi DECIMAL(18,4), rate DECIMAL(9,4)", tiers)
    _load_table(con, "payment_terms", "party VARCHAR, days INT, eom BOOLEAN", payment)


# ---------------------------------------------------------------------------
# The events


EVENTS_SQL = """
CREATE TABLE ev AS
SELECT e.id, e.kind, e.party, e.ref, e.product, e.quantity, e.force_majeure,
       length(e.at) = 10 AS date_only,
       CASE WHEN length(e.at) > 10 THEN e.at::TIMESTAMPTZ END AS ts,
       CASE WHEN length(e.at) = 10 THEN e.at::DATE ELSE timezone(p.tz, e.at::TIMESTAMPTZ)::DATE END AS day,
       coalesce(e.amount, e.quantity * e.unit_price * (1 - coalesce(e.discount, 0))) AS amount,
       e.due
FROM read_csv(?, header = true, columns = {
    'id': 'VARCHAR', 'kind': 'VARCHAR', 'party': 'VARCHAR', 'at': 'VARCHAR', 'ref': 'VARCHAR',
    'product': 'VARCHAR', 'quantity': 'DECIMAL(18,4)', 'unit_price': 'DECIMAL(18,4)',
    'discount': 'DECIMAL(9,4)', 'list_price': 'DECIMAL(18,4)', 'amount': 'DECIMAL(18,4)',
    'currency': 'VARCHAR', 'due': 'DATE', 'force_majeure': 'BOOLEAN'}) e
JOIN parties p USING (party)
"""

# Orders: due = latest due of its lines; delivered at the first delivery without
# quantity, or once every product's ordered quantity is covered by deliveries.
LATE_ORDERS_SQL = """
CREATE TABLE late_orders AS
WITH orders AS (
    SELECT party, ref, max(due) AS due, sum(amount) AS value, bool_or(coalesce(force_majeure, false)) AS fm
    FROM ev WHERE kind = 'order' GROUP BY party, ref
), order_lines AS (
    SELECT party, ref, product, sum(quantity) AS qty FROM ev WHERE kind = 'order' GROUP BY ALL
), whole AS (
    SELECT party, ref, min(ts) AS at, arg_min(coalesce(force_majeure, false), ts) AS fm
    FROM ev WHERE kind = 'delivery' AND quantity IS NULL GROUP BY ALL
), partial AS (
    SELECT party, ref, product, ts,
           sum(quantity) OVER (PARTITION BY party, ref, product ORDER BY ts ROWS UNBOUNDED PRECEDING) AS cum
    FROM ev WHERE kind = 'delivery' AND quantity IS NOT NULL
), covered AS (
    SELECT o.party, o.ref, max(c.at) AS at, count(c.at) = count(*) AS complete
    FROM order_lines o
    LEFT JOIN (SELECT p.party, p.ref, p.product, min(p.ts) AS at FROM partial p
               JOIN order_lines l USING (party, ref, product) WHERE p.cum >= l.qty GROUP BY ALL) c
           USING (party, ref, product)
    GROUP BY ALL
), delivered AS (
    SELECT o.party, o.ref, o.due, o.value,
           least(w.at, CASE WHEN c.complete THEN c.at END) AS at,
           o.fm OR coalesce(w.fm, false) AS fm
    FROM orders o LEFT JOIN whole w USING (party, ref) LEFT JOIN covered c USING (party, ref)
), judged AS (
    SELECT d.party, d.value, d.fm, t.*,
           CASE WHEN d.at IS NOT NULL THEN timezone(p.tz, d.at)::DATE - d.due
                ELSE $as_of_day - d.due END AS days
    FROM delivered d JOIN otd t USING (party) JOIN parties p USING (party)
    WHERE (d.at IS NOT NULL OR $as_of_day > d.due + t.grace)
)
-- Exact: the penalty times per_days is summed as DECIMAL and divided once per party.
-- least() skips NULL: no cap, no limit.
SELECT party, count(*) AS late_orders,
       sum(CASE WHEN fm AND fm_excused THEN 0 ELSE least(
             value * percent * 0.01 * CASE WHEN per_started THEN (days + per_days - 1) // per_days * per_days
                                           ELSE days END,
             value * cap * 0.01 * per_days) END) / any_value(per_days) AS penalty
FROM judged WHERE days > grace GROUP BY party
"""

UNANNOUNCED_SQL = """
CREATE TABLE unannounced AS
WITH deliveries AS (
    SELECT e.party, e.id, e.ref, e.ts, t.min_s, t.max_s FROM ev e JOIN notice_terms t USING (party)
    WHERE e.kind = 'delivery'
), notices AS (
    SELECT party, ref, ts FROM ev WHERE kind = 'notice'
)
SELECT party, count(*) AS unannounced FROM deliveries d
WHERE NOT EXISTS (
    SELECT 1 FROM notices n
    WHERE n.party = d.party AND (n.ref IS NULL OR n.ref = d.ref)
      AND n.ts <= d.ts - to_seconds(d.min_s)
      AND (d.max_s IS NULL OR n.ts >= d.ts - to_seconds(d.max_s)))
GROUP BY party
"""

# Calendar periods; a period has ended once the as-of day is on or after the next one's start.
VOLUMES_SQL = """
CREATE TABLE volumes AS
SELECT e.party, date_trunc(t.period, e.day) AS period, sum(e.quantity) AS quantity, any_value(t.minimum) AS minimum,
       any_value(date_trunc(t.period, e.day) + ('1 ' || t.period)::INTERVAL)::DATE <= $as_of_day AS ended
FROM ev e JOIN volume_terms t USING (party) WHERE e.kind = 'invoice' GROUP BY ALL
"""

VOLUME_SHORT_SQL = """
CREATE TABLE volume_short AS
SELECT party, count(*) FILTER (WHERE ended AND quantity < minimum) AS volume_short FROM volumes GROUP BY party
"""

REBATES_SQL = """
CREATE TABLE rebates AS
WITH turnover AS (
    SELECT e.party, date_trunc(t.period, e.day)::DATE AS period, any_value(t.period) AS span,
           sum(CASE WHEN e.kind = 'invoice' THEN e.amount ELSE -e.amount END) AS turnover
    FROM ev e JOIN rebate_terms t USING (party)
    WHERE e.kind = 'invoice' OR (e.kind = 'credit_note' AND NOT starts_with(coalesce(e.ref, ''), 'rebate'))
    GROUP BY ALL
), by_tier AS (
    SELECT u.party, u.period, u.span, u.turnover, r.payout_days,
           CASE WHEN r.mode = 'marginal'
                THEN sum(greatest(0, least(u.turnover, coalesce(k.hi, u.turnover)) - k.lo) * k.rate * 0.01)
                ELSE max(CASE WHEN u.turnover >= k.lo THEN k.rate ELSE 0 END) * 0.01 * u.turnover END AS rebate
    FROM turnover u JOIN rebate_terms r USING (party) JOIN tiers k USING (party)
    GROUP BY u.party, u.period, u.span, u.turnover, r.payout_days, r.mode
), payouts AS (
    SELECT party, day, amount FROM ev WHERE kind = 'credit_note' AND starts_with(ref, 'rebate')
), owed AS (
    SELECT *, (period + ('1 ' || span)::INTERVAL)::DATE - 1 + payout_days AS pay_by,
           sum(rebate) OVER (PARTITION BY party ORDER BY period ROWS UNBOUNDED PRECEDING) AS owed_so_far
    FROM by_tier
)
SELECT o.party, o.period, o.rebate, o.pay_by,
       o.rebate > 0 AND $as_of_day > o.pay_by
           AND coalesce((SELECT sum(p.amount) FROM payouts p WHERE p.party = o.party), 0) < o.owed_so_far
           AS overdue
FROM owed o
"""

OVERDUE_INVOICES_SQL = """
CREATE TABLE overdue_invoices AS
WITH invoices AS (
    SELECT party, ref, min(day) AS day, sum(amount) AS amount FROM ev WHERE kind = 'invoice' GROUP BY ALL
), paid AS (
    SELECT party, ref, sum(amount) AS paid FROM ev WHERE kind = 'payment' GROUP BY ALL
)
SELECT i.party, count(*) AS overdue_invoices, sum(i.amount - coalesce(p.paid, 0)) AS unpaid
FROM invoices i JOIN payment_terms t USING (party) LEFT JOIN paid p USING (party, ref)
WHERE coalesce(p.paid, 0) < i.amount
  AND $as_of_day > (CASE WHEN t.eom THEN last_day(i.day) ELSE i.day END) + t.days
GROUP BY i.party
"""

FIGURES_SQL = """
SELECT p.party,
       coalesce(l.late_orders, 0) AS late_orders, round(coalesce(l.penalty, 0), 2) AS penalty,
       coalesce(u.unannounced, 0) AS unannounced, coalesce(v.volume_short, 0) AS volume_short,
       (SELECT round(coalesce(sum(r.rebate), 0), 2) FROM rebates r WHERE r.party = p.party) AS rebate,
       (SELECT count(*) FILTER (WHERE r.overdue) FROM rebates r WHERE r.party = p.party) AS rebate_overdue,
       coalesce(o.overdue_invoices, 0) AS overdue_invoices, round(coalesce(o.unpaid, 0), 2) AS unpaid
FROM parties p
LEFT JOIN late_orders l USING (party) LEFT JOIN unannounced u USING (party)
LEFT JOIN volume_short v USING (party) LEFT JOIN overdue_invoices o USING (party)
ORDER BY p.party
"""


def compute(agreements: Path, events: Path, as_of: dt.datetime, out: Path | None = None) -> list[tuple]:
    """Run the reference; return one row per party (party, *FIGURES) and write them as CSV to `out`."""
    con = duckdb.connect()
    load_terms(con, agreements)
    con.execute(EVENTS_SQL, [str(events)])
    as_of_day = as_of.date()  # the as-of moment is given in the agreements' local time
    for sql in (LATE_ORDERS_SQL, UNANNOUNCED_SQL, VOLUMES_SQL, VOLUME_SHORT_SQL, REBATES_SQL, OVERDUE_INVOICES_SQL):
        con.execute(sql, {"as_of_day": as_of_day} if "$as_of_day" in sql else None)
    relation = con.sql(FIGURES_SQL)
    if out is not None:
        relation.write_csv(str(out))
    return relation.fetchall()


def main(argv: list[str] | None = None) -> None:
    from bench.generate import AS_OF, OUT_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=Path, default=OUT_DIR / "agreements.yaml")
    parser.add_argument("--events", type=Path, default=OUT_DIR / "events.csv")
    parser.add_argument("--as-of", default=AS_OF, help="ISO timestamp with the agreements' local offset")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "duckdb_figures.csv")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = compute(args.agreements, args.events, dt.datetime.fromisoformat(args.as_of), args.out)
    totals = [sum(r[i] for r in rows) for i in range(1, len(FIGURES) + 1)]
    print(f"{len(rows)} parties in {time.perf_counter() - started:.2f} s: "
          + ", ".join(f"{name} {total}" for name, total in zip(FIGURES, totals)))


if __name__ == "__main__":
    main()
