"""The dashboard, the search page, the audit log and the import page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from pacta.core.commitments import REGISTRY
from pacta.core.models import (
    Agreement,
    AuditEntry,
    Commitment,
    GlossaryTerm,
    ImportBatch,
    NegotiationNote,
    Party,
)
from pacta.core.dashboard import Figure, dashboard_figures
from pacta.front.filters import AuditFilter, current_title, search_q
from pacta.front.listing import Column
from pacta.front.templatetags.pacta_ui import audit_changes
from pacta.front.watch_forms import DashboardFilter

from .common import link_commitments, list_page, render_list

SEARCH_LIMIT = 25
DUE_SOON_ROWS = 10


@login_required
def dashboard(request):
    """The portfolio at a glance, filtered by who answers for it, party and type;
    every number links to the list behind it. Its htmx poll gets only the figures.
    The portfolio's figures are reused for PACTA_DASHBOARD_CACHE seconds (the page says when
    they were counted): everybody's first page would otherwise add up the whole portfolio each time."""
    filters = DashboardFilter(request.GET)
    scope = filters.scope()
    figures = dashboard_figures(user=request.user, reuse=settings.PACTA_DASHBOARD_CACHE, **scope)
    return render_list(request, "front/dashboard.html", "front/partials/watch/dashboard_figures.html", {
        "filters": filters,
        "figures": figures,
        "due_soon": figures["due_soon"].queryset[:DUE_SOON_ROWS],
        "standing_in": _standing_in(request.user, figures),
        **_register_counts(settings.PACTA_DASHBOARD_CACHE),
    })


def _standing_in(user, figures) -> list[dict]:
    """The away owners `user` stands in for, each with a Figure of their open actions."""
    deputised = figures["mine"]["deputised"]
    owner_ids = set(deputised.queryset.values_list("owner", flat=True))
    rows = []
    for owner in get_user_model().objects.filter(pk__in=owner_ids).order_by("username"):
        theirs = deputised.queryset.filter(owner=owner)
        rows.append({"owner": owner, "figure": Figure(theirs.count(), theirs, "actions",
                                                      {**deputised.params, "owner": owner.get_username()})})
    return rows


def _register_counts(reuse: int = 0) -> dict:
    """What the register holds: parties, agreements by status, commitments not evaluated yet
    (counted at most `reuse` seconds ago)."""
    counts = cache.get_or_set("pacta:dashboard:register:v1", _count_register, reuse) if reuse else _count_register()
    agreements = counts["agreements"]
    return {"parties": counts["parties"], "not_evaluated": counts["not_evaluated"],
            "agreement_counts": [(s, label, agreements.get(s, 0)) for s, label in Agreement.Status.choices]}


def _count_register() -> dict:
    return {
        "parties": Party.objects.aggregate(
            customers=Count("id", filter=Q(is_customer=True)), suppliers=Count("id", filter=Q(is_supplier=True)),
            all=Count("id"),
        ),
        "agreements": dict(Agreement.objects.values_list("status").annotate(n=Count("id"))),
        "not_evaluated": Commitment.objects.filter(removed_in__isnull=True, evaluated_at=None).count(),
    }


def _types_matching(q: str) -> list[str]:
    """Commitment types whose label (in the reader's language) or name contains the words."""
    words = q.lower().split()
    return [name for name, t in REGISTRY.items()
            if all(w in str(t.label).lower() or w in name.replace("_", " ") for w in words)]


@login_required
def search(request):
    q = request.GET.get("q", "").strip()
    groups = []
    if q:
        commitments = Commitment.objects.select_related("agreement", "agreement__party").annotate(
            title_now=current_title()
        ).filter(search_q(q, ("key", "title_now")) | Q(type__in=_types_matching(q)))
        groups = [
            ("parties", gettext_lazy("Parties"), Party.objects.filter(search_q(q, ("code", "name")))),
            ("agreements", gettext_lazy("Agreements"), Agreement.objects.select_related("party").filter(
                search_q(q, ("reference", "title", "description")))),
            ("commitments", gettext_lazy("Commitments"), commitments.order_by("agreement__reference", "key")),
            ("notes", gettext_lazy("Negotiation notes"), NegotiationNote.objects.select_related("agreement").filter(
                search_q(q, ("text", "participants")))),
            ("glossary", gettext_lazy("Glossary"), GlossaryTerm.objects.select_related("agreement").filter(
                search_q(q, ("term", "definition")))),
        ]
        groups = [{"name": name, "label": label, "count": qs.count(), "items": list(qs[:SEARCH_LIMIT])}
                  for name, label, qs in groups]
    return render(request, "front/search.html", {
        "q": q, "groups": groups, "found": sum(g["count"] for g in groups), "limit": SEARCH_LIMIT,
    })


AUDIT_COLUMNS = [
    Column(gettext_lazy("when"), lambda e: e.at),
    Column(gettext_lazy("who"), lambda e: e.user and e.user.get_username()),
    Column(gettext_lazy("action"), lambda e: e.action),
    Column(gettext_lazy("object"), lambda e: e.object_repr),
    Column(gettext_lazy("agreement"), lambda e: e.agreement and e.agreement.reference),
    Column(gettext_lazy("party"), lambda e: e.party and e.party.code),
    Column(gettext_lazy("changes"), lambda e: "; ".join(
        f"{r['field']}: {r['old']} → {r['new']}" if "old" in r else f"{r['field']}: {r['detail']}"
        for r in audit_changes(e))),
]


@login_required
def audit_log(request):
    qs = AuditEntry.objects.select_related("user", "agreement", "party")
    return list_page(request, AuditFilter(request.GET), qs, sorts={"at": ("at",)}, default="-at",
                     columns=AUDIT_COLUMNS, export_name="audit", template="audit", per_page=100,
                     on_page=link_commitments)


@login_required
def import_list(request):
    """The recent imports (the upload forms come with the importers)."""
    batches = ImportBatch.objects.select_related("user")[:50]
    return render(request, "front/import.html", {"batches": batches})
