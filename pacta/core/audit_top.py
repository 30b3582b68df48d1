"""The top-customers audit: are our largest customers' special agreements registered and kept?

The procedure of the customer's text on keeping customer agreements: take the
N largest customers, go through their agreements for special promises, check
each is registered as it should be, check it is executed, list the deviations
and act on each.

`top_audit(top, start, end, as_of)` computes the report as a JSON-able dict
(stored by `pacta.core.actions.review.do_run_top_audit` in an `AuditReport`):

- **Largest customers**: by revenue in the period (pacta.core.review: what we
  invoiced, minus credit notes that are not rebate payouts), each in its main
  currency (the one it was invoiced most in); customers are ranked by that
  amount as it stands — pacta converts no currency, and the report says so
  when several occur.
- **Special agreements**: the promises (commitments, not removed) of the
  customer's agreements whose validity overlaps the period.
- **Registered**: a promise is registered when it names who registers it, who
  executes it and how it reaches the work process. A top customer with no
  promise at all is a gap of its own ("nothing registered").
- **Executed**: judged by the engine as of *as of*, in memory (the stored
  verdicts are left alone). Deviations are the instances due in the period
  that were broken, overdue or kept late, and the open instances at risk. A
  promise is executed when it was judged and has no deviation; a draft is not
  judged (it binds nobody yet).
- **Gaps** of a promise: `no_registrar`, `no_executor`, `no_how`, `draft`,
  `not_judged`, `not_kept` (deviations), `at_risk`. Each can become one
  action on its promise (instance key `audit:<gap>`), never two at once.

Codes and figures are stored, not sentences: `gap_text()` words a gap in the
reader's language when the report is shown.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pacta.core.commitments.base import InstanceStatus, money_to_json, sum_money
from pacta.core.models import Agreement, Commitment, Party
from pacta.core.review import Window, revenue_by_party, title_now, validity, verdicts, window, with_terms
from pacta.lib.money import round_money

ACTION_PREFIX = "audit:"
EXAMPLES = 5  # deviations listed per promise
BREACHES = {InstanceStatus.BROKEN, InstanceStatus.OVERDUE, InstanceStatus.KEPT_LATE}

GAP_LABELS = {
    "nothing_registered": gettext_lazy("nothing registered"),
    "no_registrar": gettext_lazy("nobody registers it"),
    "no_executor": gettext_lazy("nobody executes it"),
    "no_how": gettext_lazy("not in the work process"),
    "draft": gettext_lazy("draft, not in force"),
    "not_judged": gettext_lazy("not judged"),
    "not_kept": gettext_lazy("not kept"),
    "at_risk": gettext_lazy("at risk"),
}


def gap_text(gap: dict) -> str:
    """A gap of the report in the reader's language: what is wrong and what to do."""
    kind, figures = gap["kind"], gap.get("figures", {})
    texts = {
        "nothing_registered": lambda: _("No special agreement of this customer is registered: go through their "
                                        "contract and register each special promise, or note that there is none."),
        "no_registrar": lambda: _("Nobody is named to register this promise: decide who records it."),
        "no_executor": lambda: _("Nobody is named to execute this promise: decide who carries it out."),
        "no_how": lambda: _("It is not said how this promise reaches the work process (route sheet, order "
                            "screen, checklist): decide how it is recorded there."),
        "draft": lambda: _("The agreement is still a draft: nothing is judged until it is put in force."),
        "not_judged": lambda: _("pacta cannot judge this promise (its type or terms are not valid): correct it."),
        "not_kept": lambda: ngettext(
            "%(count)s deviation in the period (%(broken)s broken or overdue, %(late)s kept late): find out why "
            "and agree what changes.",
            "%(count)s deviations in the period (%(broken)s broken or overdue, %(late)s kept late): find out why "
            "and agree what changes.", figures["count"]) % figures,
        "at_risk": lambda: ngettext("%(count)s instance open at risk: act before it is due.",
                                    "%(count)s instances open at risk: act before they are due.",
                                    figures["count"]) % figures,
    }
    return texts[kind]() if kind in texts else kind


def gap_label(kind: str) -> str:
    return str(GAP_LABELS.get(kind, kind))


def action_key(kind: str) -> str:
    return ACTION_PREFIX + kind


# ---------------------------------------------------------------------------
# the largest customers


def top_customers(period: Window, top: int) -> tuple[list[tuple[Party, str, Decimal, dict[str, Decimal]]], dict]:
    """The `top` customers by revenue: (party, main currency, revenue, other currencies), largest first;
    and the revenue of all customers per currency."""
    revenue = revenue_by_party(period)
    parties = {p.code: p for p in Party.objects.filter(is_customer=True, code__in=list(revenue))}
    ranked, totals = [], {}
    for code, by_currency in revenue.items():
        if code not in parties:
            continue
        for currency, amount in by_currency.items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
        currency, amount = max(by_currency.items(), key=lambda item: (item[1], item[0]))
        ranked.append((parties[code], currency, amount, {c: a for c, a in by_currency.items() if c != currency}))
    ranked.sort(key=lambda row: (-row[2], row[0].code))
    return ranked[:top], totals


# ---------------------------------------------------------------------------
# one promise


def _registration_gaps(c: Commitment) -> list[dict]:
    gaps = []
    if c.registrar_id is None:
        gaps.append({"kind": "no_registrar"})
    if c.owner_id is None:
        gaps.append({"kind": "no_executor"})
    if not c.how.strip():
        gaps.append({"kind": "no_how"})
    return gaps


def _due_day(inst) -> dt.date | None:
    due = inst.due
    return due.date() if isinstance(due, dt.datetime) else due


def _deviations(result, period: Window) -> tuple[list, list]:
    """(breaches due in the period, open instances at risk) of a verdict."""
    breaches, at_risk = [], []
    for inst in result.instances:
        day = _due_day(inst)
        if inst.status in BREACHES and (day is None or day in period):
            breaches.append(inst)
        elif inst.status == InstanceStatus.OPEN and inst.health == "at_risk":
            at_risk.append(inst)
    return breaches, at_risk


def _instance_json(inst) -> dict:
    due = inst.due.isoformat() if inst.due is not None else None
    return {"key": inst.key, "status": str(inst.status), "due": due, "days_late": inst.days_late,
            "explanation": inst.explanation, "money": [money_to_json(m) for m in inst.money]}


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def promise_report(c: Commitment, result, period: Window) -> dict:
    """One promise of a top customer: registered?, executed?, deviations, gaps."""
    gaps = _registration_gaps(c)
    entry = {
        "id": c.pk, "agreement": c.agreement.reference, "agreement_status": c.agreement.status, "key": c.key,
        "type": c.type, "title": title_now(c), "registrar": _person(c.registrar), "executor": _person(c.owner),
        "how": c.how, "registered": not gaps, "status": None, "executed": None, "explanation": "",
        "deviations": [], "deviation_count": 0, "at_risk_count": 0, "money": [],
    }
    if result is None:
        gaps.append({"kind": "draft" if c.agreement.status == Agreement.Status.DRAFT else "not_judged"})
    else:
        breaches, at_risk = _deviations(result, period)
        entry.update(status=result.status, explanation=result.explanation, executed=not breaches and not at_risk,
                     deviation_count=len(breaches), at_risk_count=len(at_risk),
                     deviations=[_instance_json(i) for i in (breaches + at_risk)[:EXAMPLES]],
                     money=[money_to_json(m) for m in sum_money(m for i in breaches for m in i.money)])
        if breaches:
            broken = sum(1 for i in breaches if i.status != InstanceStatus.KEPT_LATE)
            gaps.append({"kind": "not_kept", "figures": {"count": len(breaches), "broken": broken,
                                                         "late": len(breaches) - broken}})
        if at_risk:
            gaps.append({"kind": "at_risk", "figures": {"count": len(at_risk)}})
    entry["gaps"] = gaps
    return entry


# ---------------------------------------------------------------------------
# the report


def _promises_of(parties: list[Party], period: Window) -> dict[int, list[Commitment]]:
    qs = with_terms(Commitment.objects.filter(agreement__party__in=parties, agreement__role=Agreement.Role.CUSTOMER,
                                              removed_in__isnull=True)
                    .select_related("agreement__party", "removed_in", "owner", "registrar")
                    .order_by("agreement__reference", "key"))
    found: dict[int, list[Commitment]] = {p.pk: [] for p in parties}
    for c in qs:
        if period.overlaps(*validity(c)):
            found[c.agreement.party_id].append(c)
    return found


def _money_text(amount: Decimal, currency: str) -> str:
    return str(round_money(amount, currency or "EUR"))


def top_audit(*, top: int = 10, start: dt.date | None = None, end: dt.date | None = None,
              as_of: dt.datetime) -> dict:
    """The audit of the `top` largest customers by revenue from `start` to `end` (default: the twelve
    months up to *as of*), judged as of `as_of`. JSON-able; see the module docstring."""
    if top < 1:
        raise ValueError("top must be at least 1")
    period = window(start, end, as_of)
    ranked, totals = top_customers(period, top)
    promises = _promises_of([p for p, *_rest in ranked], period)
    judged = verdicts([c for cs in promises.values() for c in cs], as_of)
    customers = []
    for rank, (party, currency, amount, others) in enumerate(ranked, start=1):
        reports = [promise_report(c, judged.get(c.pk), period) for c in promises[party.pk]]
        total = totals.get(currency) or Decimal(0)
        customers.append({
            "rank": rank, "party": party.code, "name": party.name, "currency": currency,
            "revenue": _money_text(amount, currency),
            "share": str((amount * 100 / total).quantize(Decimal("0.1"))) if total else None,
            "other_revenue": {c: _money_text(a, c) for c, a in sorted(others.items())},
            "promises": reports,
            "gaps": [] if reports else [{"kind": "nothing_registered"}],
        })
    return {
        "top": top, "period": period.to_json(), "as_of": as_of.isoformat(),
        "currencies": sorted(totals), "customers": customers, "summary": summarize(customers), "actions": [],
    }


def summarize(customers: list[dict]) -> dict:
    promises = [p for c in customers for p in c["promises"]]
    return {
        "customers": len(customers),
        "with_promises": sum(1 for c in customers if c["promises"]),
        "promises": len(promises),
        "registered": sum(1 for p in promises if p["registered"]),
        "executed": sum(1 for p in promises if p["executed"]),
        "deviations": sum(p["deviation_count"] for p in promises),
        "gaps": sum(len(p["gaps"]) for p in promises) + sum(len(c["gaps"]) for c in customers),
    }


def promise_gaps(result: dict):
    """Every (promise id, gap) of a report, in the report's order: what actions can be opened for."""
    for customer in result.get("customers", []):
        for entry in customer["promises"]:
            for gap in entry["gaps"]:
                yield entry["id"], entry["title"], gap


# ---------------------------------------------------------------------------
# the report as a document for the sales team


def _amount(text: str | None, currency: str) -> str:
    if text is None:
        return "—"
    return f"{formats.number_format(Decimal(text), decimal_pos=2, use_l10n=True, force_grouping=True)} {currency}"


def _yes_no(value) -> str:
    if value is None:
        return "—"
    return _("yes") if value else _("no")


def _status_word(code: str | None) -> str:
    return str(dict(Commitment.Status.choices).get(code, code or "—"))


def _moment(iso: str) -> str:
    """'1998-05-06T21:59:59.999999+00:00' as '1998-05-06 21:59 +00:00'."""
    moment = dt.datetime.fromisoformat(iso)
    return moment.strftime("%Y-%m-%d %H:%M ") + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


def report_title(result: dict) -> tuple[str, str]:
    """The report's title and the sentence under it (the period and the moment judged)."""
    title = _("Top-customers audit")
    subtitle = _("The %(top)s largest customers by revenue from %(start)s to %(end)s; promises judged as of "
                 "%(as_of)s.") % {"top": result["top"], "start": result["period"]["start"],
                                  "end": result["period"]["end"], "as_of": _moment(result["as_of"])}
    return title, subtitle


def summary_sentence(result: dict) -> str:
    s = result["summary"]
    return _("%(customers)s customers, %(with)s with registered promises; %(promises)s promises, %(registered)s "
             "fully registered, %(executed)s executed without deviation; %(gaps)s gaps.") % {
        "customers": s["customers"], "with": s["with_promises"], "promises": s["promises"],
        "registered": s["registered"], "executed": s["executed"], "gaps": s["gaps"]}


def _customer_blocks(customer: dict) -> list:
    from pacta.lib.pdf import Bullets, Heading, Paragraph, Table

    share = _(", %(share)s %% of revenue") % {"share": customer["share"]} if customer["share"] else ""
    blocks = [Heading("%(rank)s. %(name)s (%(code)s) — %(revenue)s%(share)s" % {
        "rank": customer["rank"], "name": customer["name"], "code": customer["party"],
        "revenue": _amount(customer["revenue"], customer["currency"]), "share": share}, level=2)]
    if not customer["promises"]:
        return blocks + [Bullets([gap_text(g) for g in customer["gaps"]])]
    rows = [[p["title"], p["registrar"] or "—", p["executor"] or "—", p["how"] or "—", _status_word(p["status"]),
             str(p["deviation_count"])] for p in customer["promises"]]
    blocks.append(Table([_("Promise"), _("Registered by"), _("Executed by"), _("How it reaches the work"),
                         _("Status"), _("Deviations")], rows, widths=[3.6, 1.5, 1.5, 2.8, 1.2, 1.6],
                        align=["L", "L", "L", "L", "L", "R"]))
    for p in customer["promises"]:
        if not p["gaps"]:
            continue
        blocks.append(Paragraph(p["title"], bold=True))
        blocks.append(Bullets([gap_text(g) for g in p["gaps"]]))
        for d in p["deviations"]:
            if d["explanation"]:
                blocks.append(Paragraph(d["explanation"], muted=True))
    return blocks


def report_pdf(result: dict) -> bytes:
    """The audit report as a PDF to hand to the sales team, in the active language."""
    from pacta.lib.pdf import Bullets, Heading, Paragraph, render_pdf

    title, subtitle = report_title(result)
    blocks = [Paragraph(summary_sentence(result), bold=True)]
    if len(result.get("currencies", [])) > 1:
        blocks.append(Paragraph(_("Revenue in several currencies is ranked as it stands, without conversion."),
                                muted=True))
    for customer in result["customers"]:
        blocks += _customer_blocks(customer)
    blocks += [Heading(_("What to do for each deviating promise")), Bullets(next_steps())]
    return render_pdf(title, blocks, subtitle=subtitle, footer="pacta")


def next_steps() -> list[str]:
    """The follow-up of the procedure, for every deviating promise."""
    return [
        _("Decide who registers the promise, and how it is registered."),
        _("Decide who executes it."),
        _("Decide how it is reflected in pricing and invoicing."),
        _("Ask whether the promise is still feasible and profitable (see the profitability page)."),
        _("Share the findings and instruct the sales team and the people who register and execute it."),
    ]
