"""Review pages: the coverage matrix and its links, the guided top-customers audit
with its reports (HTML and PDF), and the profitability of special agreements."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from pacta.core.actions.review import (
    can_run_audit,
    do_link_coverage,
    do_open_audit_actions,
    do_run_top_audit,
    do_unlink_coverage,
)
from pacta.core.audit_top import gap_label, gap_text, next_steps, report_pdf, report_title, summary_sentence
from pacta.core.coverage import coverage, supplier_choices
from pacta.core.models import AuditReport, CoverageLink
from pacta.core.profitability import profitability
from pacta.front.listing import Column, Listing, csv_response
from pacta.front.review_forms import AuditForm, CoverageFilter, CoverageLinkForm, PeriodForm
from pacta.lib import clock

from .common import FAILED, attempt, get_rw_commitment, require_change

# The colour of each coverage state: the status colours of the same meaning, with our own word.
STATE_CSS = {"gap": "broken", "unchecked": "at_risk", "covered": "kept", "not_needed": "waived"}


def _require_audit(request) -> None:
    if not can_run_audit(request.user):
        raise PermissionDenied(_("You may look at this, but not change it."))


# ---------------------------------------------------------------------------
# coverage


def cover_lines(result):
    for row in result.rows:
        for cover in row.covers or [None]:
            yield row, cover


COVERAGE_COLUMNS = [
    Column(gettext_lazy("party"), lambda rc: rc[0].commitment.agreement.party.code),
    Column(gettext_lazy("agreement"), lambda rc: rc[0].commitment.agreement.reference),
    Column(gettext_lazy("id"), lambda rc: rc[0].commitment.key),
    Column(gettext_lazy("type"), lambda rc: rc[0].commitment.type),
    Column(gettext_lazy("promise"), lambda rc: rc[0].title),
    Column(gettext_lazy("supplier"), lambda rc: rc[1].supplier.code if rc[1] else ""),
    Column(gettext_lazy("state"), lambda rc: rc[1].state if rc[1] else rc[0].state),
    Column(gettext_lazy("covered by"), lambda rc: " ".join(
        f"{c.agreement.reference}/{c.key}" for c in rc[1].commitments) if rc[1] else ""),
    Column(gettext_lazy("suggested"), lambda rc: bool(rc[1] and not rc[1].linked and rc[1].suggested)),
    Column(gettext_lazy("gaps"), lambda rc: " | ".join(g.text for g in rc[1].gaps) if rc[1] else ""),
]


@login_required
def coverage_matrix(request):
    """Customers' promises x suppliers: each cell says whether the supplier covers the promise, and the gaps."""
    filters = CoverageFilter(request.GET or None)
    result = coverage(**filters.options())
    wanted = request.GET.get("format")
    if wanted == "json":
        return JsonResponse(result.to_json(), json_dumps_params={"ensure_ascii": False})
    if wanted == "csv":
        return csv_response("coverage.csv", COVERAGE_COLUMNS, cover_lines(result))
    suppliers = result.suppliers
    for row in result.rows:
        row.css = STATE_CSS[row.state]
        for cover in row.covers:
            cover.css = STATE_CSS[cover.state]
    matrix = [(row, [row.cover_of(s.code) for s in suppliers]) for row in result.rows]
    return render(request, "front/review/coverage.html", {
        "filters": filters, "result": result, "suppliers": suppliers, "matrix": matrix, "counts": result.counts(),
        "gap_count": result.gap_count(),
        "csv_url": "?" + urlencode({**request.GET.dict(), "format": "csv"}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def coverage_link(request, reference: str, key: str):
    """Record which supplier promise covers a customer promise."""
    commitment = get_rw_commitment(request, reference, key)
    form = CoverageLinkForm(request.POST or None, choices=supplier_choices(commitment))
    if request.method == "POST" and form.is_valid():
        link = attempt(lambda: do_link_coverage(commitment, form.cleaned_data["supplier_commitment"],
                                                acting_user=request.user, note=form.cleaned_data["note"]), form)
        if link is not FAILED:
            messages.success(request, _("Linked: %(supplier)s covers %(customer)s.") % {
                "supplier": link.supplier_commitment, "customer": commitment})
            return redirect(reverse("review:coverage") + f"#promise-{commitment.pk}")
    return render(request, "front/review/link_form.html", {"commitment": commitment, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def coverage_unlink(request, pk: int):
    link = get_object_or_404(CoverageLink.objects.select_related(
        "customer_commitment__agreement__party", "supplier_commitment__agreement"), pk=pk)
    customer = link.customer_commitment
    require_change(request, customer)
    back = reverse("review:coverage") + f"#promise-{customer.pk}"
    if request.method == "POST":
        do_unlink_coverage(link, acting_user=request.user)
        messages.success(request, _("The link was removed."))
        return redirect(back)
    return render(request, "front/confirm.html", {
        "title": _("Remove the coverage link"), "danger": True, "back": back, "button": _("Remove link"),
        "explanation": _("%(supplier)s will no longer count as the cover of %(customer)s; pacta may still suggest "
                         "it from the products' supplier.") % {"supplier": link.supplier_commitment,
                                                                "customer": customer},
    })


# ---------------------------------------------------------------------------
# the top-customers audit


@login_required
@require_http_methods(["GET", "POST"])
def audit_start(request):
    """The guided audit: choose how many customers and the period, run it, see the earlier reports."""
    form = AuditForm(request.POST or None, initial={"top": 10})
    if request.method == "POST":
        _require_audit(request)
        if form.is_valid():
            start, end = form.period()
            report = do_run_top_audit(acting_user=request.user, top=form.cleaned_data["top"], period_start=start,
                                      period_end=end, as_of=clock.now(),
                                      open_actions=form.cleaned_data["open_actions"])
            return redirect("review:audit_report", pk=report.pk)
    reports = AuditReport.objects.select_related("created_by")[:25]
    return render(request, "front/review/audit.html", {
        "form": form, "reports": reports, "may_run": can_run_audit(request.user), "as_of": clock.now(),
    })


def _action_url(pk: int) -> str | None:
    try:
        return reverse("front:action", args=[pk])
    except NoReverseMatch:
        return None


def _present(result: dict) -> list[dict]:
    """The report's customers with each gap worded in the reader's language and its action, if any."""
    actions = {(a["commitment"], a["kind"]): a for a in result.get("actions", [])}
    customers = []
    for customer in result["customers"]:
        promises = []
        for p in customer["promises"]:
            gaps = []
            for g in p["gaps"]:
                action = actions.get((p["id"], g["kind"]))
                gaps.append({"label": gap_label(g["kind"]), "text": gap_text(g), "action": action,
                             "action_url": _action_url(action["action"]) if action else None})
            promises.append({**p, "gap_rows": gaps})
        customers.append({**customer, "promises": promises,
                          "gap_texts": [gap_text(g) for g in customer["gaps"]]})
    return customers


@login_required
def audit_report(request, pk: int):
    report = get_object_or_404(AuditReport.objects.select_related("created_by"), pk=pk)
    title, subtitle = report_title(report.result)
    return render(request, "front/review/audit_report.html", {
        "report": report, "title": title, "subtitle": subtitle, "summary": summary_sentence(report.result),
        "customers": _present(report.result), "next_steps": next_steps(),
        "several_currencies": len(report.result.get("currencies", [])) > 1,
        "gap_total": report.result["summary"]["gaps"], "may_run": can_run_audit(request.user),
        "actions_followed": len(report.result.get("actions", [])),
    })


@login_required
def audit_pdf(request, pk: int):
    report = get_object_or_404(AuditReport, pk=pk)
    response = HttpResponse(report_pdf(report.result), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="top-customers-audit-{report.pk}.pdf"'
    return response


@login_required
@require_POST
def audit_actions(request, pk: int):
    """Open an action for each gap of the report that has none open yet."""
    _require_audit(request)
    report = get_object_or_404(AuditReport, pk=pk)
    opened = do_open_audit_actions(report, acting_user=request.user)
    messages.success(request, ngettext("%(count)s action opened; the other gaps have one open already.",
                                       "%(count)s actions opened; the other gaps have one open already.",
                                       len(opened)) % {"count": len(opened)})
    return redirect("review:audit_report", pk=report.pk)


# ---------------------------------------------------------------------------
# profitability


class RowSort(Listing):
    """A list of rows (not a queryset) sorted by `?sort=<name>` (`-<name>`: descending);
    the header links are `Listing`'s, so the `sort_th` tag works. None sorts last."""

    def __init__(self, request, rows: list, keys: dict, default: str):
        self.request = request
        wanted = request.GET.get("sort", default)
        name = wanted.lstrip("-")
        if name not in keys:
            wanted, name = default, default.lstrip("-")
        self.sort, self.descending = name, wanted.startswith("-")
        present = [r for r in rows if keys[name](r) is not None]
        absent = [r for r in rows if keys[name](r) is None]
        self.rows = sorted(present, key=keys[name], reverse=self.descending) + absent


PROFIT_SORTS = {
    "party": lambda r: (r.commitment.agreement.party.name.lower(), r.commitment.agreement.reference, r.commitment.key),
    "promise": lambda r: r.title.lower(),
    "occurrences": lambda r: r.occurrences,
    "cost": lambda r: r.cost,
    "revenue": lambda r: r.revenue,
    "margin": lambda r: r.margin,
    "lost": lambda r: r.lost,
    "share": lambda r: r.share_of_margin,
    "flag": lambda r: (r.flagged, r.share_of_margin or 0),
}

PROFIT_COLUMNS = [
    Column(gettext_lazy("party"), lambda r: r.commitment.agreement.party.code),
    Column(gettext_lazy("agreement"), lambda r: r.commitment.agreement.reference),
    Column(gettext_lazy("id"), lambda r: r.commitment.key),
    Column(gettext_lazy("type"), lambda r: r.commitment.type),
    Column(gettext_lazy("promise"), lambda r: r.title),
    Column(gettext_lazy("currency"), lambda r: r.currency),
    Column(gettext_lazy("occurrences"), lambda r: r.occurrences),
    Column(gettext_lazy("occurrence"), lambda r: r.unit),
    Column(gettext_lazy("cost per occurrence"), lambda r: r.rounded(r.cost_each)),
    Column(gettext_lazy("cost of keeping"), lambda r: r.rounded(r.cost)),
    Column(gettext_lazy("revenue"), lambda r: r.rounded(r.revenue)),
    Column(gettext_lazy("estimated margin"), lambda r: r.rounded(r.margin)),
    Column(gettext_lazy("discount given"), lambda r: r.rounded(r.discount_given)),
    Column(gettext_lazy("money lost"), lambda r: r.rounded(r.lost)),
    Column(gettext_lazy("owed to us"), lambda r: r.rounded(r.owed_to_us)),
    Column(gettext_lazy("share of margin (%)"), lambda r: r.to_json()["share_of_margin"]),
    Column(gettext_lazy("flagged"), lambda r: r.flagged),
]


@login_required
def profitability_page(request):
    """Per special promise: what keeping it costs, what the party brings, money lost; flagged when too costly."""
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    result = profitability(start=start, end=end, as_of=clock.now())
    sort = RowSort(request, result.rows, PROFIT_SORTS, "-flag")
    if request.GET.get("format") == "csv":
        return csv_response("profitability.csv", PROFIT_COLUMNS, sort.rows)
    query = request.GET.copy()
    query["format"] = "csv"
    return render(request, "front/review/profitability.html", {
        "form": form, "result": result, "listing": sort, "rows": sort.rows,
        "flagged": sum(1 for r in result.rows if r.flagged), "csv_url": "?" + query.urlencode(),
    })
