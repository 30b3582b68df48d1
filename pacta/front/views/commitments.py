"""Commitments: the list across agreements, the type choice, the generated
forms, the commitment page (its verdict evaluated live, a chart, the instances), waivers and removal."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pacta.core.actions.register import (
    do_remove_commitment,
    do_save_commitment,
    do_update_commitment_operations,
    do_waive_instance,
)
from pacta.core.commitments import REGISTRY
from pacta.core.models import Commitment, Instance
from pacta.core.permissions import can_change
from pacta.core.routing import responsible_for
from pacta.front.charts import CUMULATIVE_TYPES, Chart, commitment_chart
from pacta.front.filters import CommitmentFilter, current_title, type_choices
from pacta.front.forms import AmendmentForm, CommitmentForm, OperationsForm, RevisionForm, WaiverForm
from pacta.front.labels import status_word
from pacta.front.listing import Column
from pacta.front.params_forms import describe_params, params_form
from pacta.front.verdict import Verdict, as_of_moment, instance_table, verdict_of
from pacta.lib import clock

from pacta.core.actions.register import needs_amendment
from .common import (
    FAILED,
    all_valid,
    amendment_info,
    attempt,
    get_commitment,
    get_rw_agreement,
    get_rw_commitment,
    quiet,
    list_page,
    trail,
)

COMMITMENT_SORTS = {
    "agreement": ("agreement__reference", "key"),
    "party": ("agreement__party__name", "agreement__reference", "key"),
    "type": ("type", "agreement__reference"),
    "title": ("title_now",),
    "status": ("status", "agreement__reference", "key"),
    "owner": ("owner__username", "agreement__owner__username", "agreement__party__spoc__username"),
}

COMMITMENT_COLUMNS = [
    Column(gettext_lazy("agreement"), lambda c: c.agreement.reference),
    Column(gettext_lazy("party"), lambda c: c.agreement.party.code),
    Column(gettext_lazy("party name"), lambda c: c.agreement.party.name),
    Column(gettext_lazy("role"), lambda c: c.agreement.role),
    Column(gettext_lazy("id"), lambda c: c.key),
    Column(gettext_lazy("type"), lambda c: c.type),
    Column(gettext_lazy("title"), lambda c: c.title_now),
    Column(gettext_lazy("direction"), lambda c: c.direction),
    Column(gettext_lazy("executed by"), lambda c: c.owner and c.owner.get_username()),
    Column(gettext_lazy("answered for by"), lambda c: _username(responsible_for(c))),
    Column(gettext_lazy("status"), lambda c: c.status if c.evaluated_at else ""),
    Column(gettext_lazy("evaluated"), lambda c: c.evaluated_at),
]


# Instances the other side can still release: not yet done, or done in breach.
WAIVABLE = {Instance.Status.OPEN, Instance.Status.OVERDUE, Instance.Status.BROKEN, Instance.Status.KEPT_LATE}


def _username(user) -> str:
    return user.get_username() if user else ""


@login_required
def commitment_list(request):
    qs = Commitment.objects.select_related(
        "agreement", "agreement__party", "agreement__owner", "agreement__party__spoc", "owner", "removed_in"
    ).annotate(title_now=current_title())
    return list_page(request, CommitmentFilter(request.GET), qs, sorts=COMMITMENT_SORTS, default="agreement",
                     columns=COMMITMENT_COLUMNS, export_name="commitments", template="commitment")


@login_required
def commitment_detail(request, reference, key):
    """The commitment's terms and its verdict, evaluated live as of the domain
    clock or `?as_of=YYYY-MM-DD` (the end of that day in the agreement's time
    zone), in the reader's language; `?period=` picks the period to chart,
    `?instances=all` (with `page`) lists every instance."""
    commitment = get_commitment(reference, key)
    agreement = commitment.agreement
    terms = commitment.terms.select_related("version").order_by("version__number")
    waivers = {w.instance_key: w for w in commitment.waivers.select_related("recorded_by")}
    can_edit = can_change(request.user, commitment)
    as_of_day, as_of_error = _as_of_day(request.GET.get("as_of", ""))
    verdict = verdict_of(commitment, as_of_moment(as_of_day, agreement) if as_of_day else clock.now())
    table = instance_table(verdict.instances, show_all=request.GET.get("instances") == "all",
                           page=request.GET.get("page"))
    chart, periods = _chart(request, verdict, agreement.currency)
    return render(request, "front/commitment_detail.html", {
        "commitment": commitment,
        "agreement": agreement,
        "party": agreement.party,
        "type": REGISTRY.get(commitment.type),
        "terms": [{"terms": t, "params": describe_params(commitment.type, t.params)} for t in terms],
        "verdict": verdict,
        "state": "removed" if commitment.removed_in_id else verdict.status,
        "as_of_day": as_of_day,
        "as_of_value": request.GET.get("as_of", "") if as_of_error else (as_of_day.isoformat() if as_of_day else ""),
        "as_of_error": as_of_error,
        "instances": table.rows,
        "table": table,
        "show_all_url": _query(request, instances="all", page=None),
        "page_urls": _page_urls(request, table),
        "chart": chart,
        "chart_periods": periods,
        "waivers": waivers.values(),
        "waived_keys": set(waivers),
        "waivable": WAIVABLE,
        "can_edit": can_edit,
        "can_waive": can_edit and commitment.removed_in_id is None,
        "trail": trail(object_type="commitment", object_id=str(commitment.pk)),
    })


def _as_of_day(text: str) -> tuple[dt.date | None, str]:
    """The day of `?as_of=` and an error message for a value that is not an ISO date."""
    if not text.strip():
        return None, ""
    try:
        return dt.date.fromisoformat(text.strip()), ""
    except ValueError:
        return None, _("Enter a date such as 2025-03-01.")


def _chart(request, verdict: Verdict, currency: str) -> tuple[Chart | None, list[dict]]:
    """The chart of a live verdict and, for a commitment of several periods, the
    periods to choose from (`?period=`; default the latest)."""
    result = verdict.result
    if result is None:
        return None, []
    if result.type not in CUMULATIVE_TYPES or not result.instances:
        return commitment_chart(result, currency), []
    latest = result.instances[-1]
    chosen = verdict.instance(request.GET.get("period", "")) or latest
    series = None if chosen is latest else (verdict.series_of(chosen) or {})
    chart = commitment_chart(result, currency, instance=chosen, series=series)
    if len(result.instances) < 2:
        return chart, []
    periods = []
    for inst in result.instances:
        state = "at_risk" if inst.health == "at_risk" else str(inst.status)
        periods.append({"key": inst.key, "status": state, "word": status_word(state), "current": inst is chosen,
                        "url": _query(request, period=inst.key) + "#chart"})
    return chart, periods


def _page_urls(request, table) -> dict[str, str]:
    """The previous and next pages of "show all" instances, keeping the rest of the query."""
    page = table.page
    if page is None:
        return {}
    return {"previous": _query(request, page=page.previous_page_number()) if page.has_previous() else "",
            "next": _query(request, page=page.next_page_number()) if page.has_next() else ""}


def _query(request, **changes) -> str:
    """This page's query string with `changes` (None removes a parameter)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return "?" + query.urlencode()


@login_required
def commitment_types(request, reference):
    agreement = get_rw_agreement(request, reference)
    types = [{"name": name, "label": label, "help": REGISTRY[name].help} for name, label in type_choices()]
    return render(request, "front/commitment_types.html", {"agreement": agreement, "types": types})


def _commitment_form_page(request, agreement, type_name: str, commitment: Commitment | None):
    """Add (`commitment` None) or change a commitment's terms; an amendment once the agreement is in force."""
    editing = commitment is not None
    amend = needs_amendment(agreement)
    if request.method == "POST":
        data = request.POST
        adding = data.get("_add_row", "").removeprefix("p-").removesuffix("__rows") or None
        form = CommitmentForm(data, editing=editing, initial=_common_initial(request, agreement, commitment))
        params = params_form(type_name, data, add_row=adding)
        amendment = AmendmentForm(data) if amend else None
        if adding:
            quiet(form, params, amendment)
        elif all_valid(form, params, amendment) and _key_is_free(form, agreement, editing):
            saved = attempt(lambda: do_save_commitment(
                agreement, form.commitment_data(type_name, params.params), acting_user=request.user,
                expected_revision=form.cleaned_data["revision"], amendment=amendment_info(amendment),
            ), form, amendment, params_form=params)
            if saved is not FAILED:
                messages.success(request, _("The commitment %(key)s was saved.") % {"key": saved.key})
                return redirect(saved)
    else:
        form = CommitmentForm(editing=editing, initial=_common_initial(request, agreement, commitment))
        current = commitment.current_terms() if editing else None
        params = params_form(type_name, initial_params=current.params if current else None)
        amendment = AmendmentForm() if amend else None
    return render(request, "front/commitment_form.html", {
        "agreement": agreement, "commitment": commitment, "type": REGISTRY[type_name], "type_name": type_name,
        "form": form, "params": params, "amendment": amendment,
    })


def _key_is_free(form, agreement, editing: bool) -> bool:
    """A new commitment needs its own id: the register saves by id and would change the existing one."""
    if editing or not agreement.commitments.filter(key=form.cleaned_data["key"]).exists():
        return True
    form.add_error("key", _("This agreement has a commitment with this id already."))
    return False


def _common_initial(request, agreement, commitment: Commitment | None) -> dict:
    if commitment is None:
        return {"revision": agreement.revision, "owner": request.user, "registrar": request.user,
                "direction": "we_owe" if agreement.role == "customer" else "they_owe"}
    terms = commitment.current_terms()
    return {
        "revision": agreement.revision, "key": commitment.key, "title": terms.title if terms else "",
        "products": ", ".join(terms.products or []) if terms else "",
        "valid_from": terms.valid_from if terms else None, "valid_to": terms.valid_to if terms else None,
        **{name: getattr(commitment, name) for name in OperationsForm.OPERATIONS},
    }


@login_required
@require_http_methods(["GET", "POST"])
def commitment_add(request, reference, type_name):
    agreement = get_rw_agreement(request, reference)
    if type_name not in REGISTRY:
        raise Http404(_("Unknown commitment type."))
    return _commitment_form_page(request, agreement, type_name, None)


@login_required
@require_http_methods(["GET", "POST"])
def commitment_edit(request, reference, key):
    commitment = get_rw_commitment(request, reference, key)
    if commitment.type not in REGISTRY:
        raise Http404(_("This commitment's type is not known any more; its terms cannot be changed here."))
    return _commitment_form_page(request, commitment.agreement, commitment.type, commitment)


@login_required
@require_http_methods(["GET", "POST"])
def commitment_operations(request, reference, key):
    commitment = get_rw_commitment(request, reference, key)
    initial = {"revision": commitment.revision, **{n: getattr(commitment, n) for n in OperationsForm.OPERATIONS}}
    form = OperationsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_update_commitment_operations(
            commitment, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
            **form.operations()), form)
        if saved is not FAILED:
            messages.success(request, _("The commitment %(key)s was saved.") % {"key": commitment.key})
            return redirect(commitment)
    return render(request, "front/commitment_operations.html", {"commitment": commitment, "form": form,
                                                                "agreement": commitment.agreement})


@login_required
@require_http_methods(["GET", "POST"])
def commitment_remove(request, reference, key):
    commitment = get_rw_commitment(request, reference, key)
    agreement = commitment.agreement
    if commitment.removed_in_id is not None:
        raise Http404(_("This commitment was removed already."))
    data = request.POST or None
    form = RevisionForm(data, initial={"revision": agreement.revision})
    amendment = AmendmentForm(data) if needs_amendment(agreement) else None
    if request.method == "POST" and all_valid(form, amendment):
        removed = attempt(lambda: do_remove_commitment(
            commitment, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
            amendment=amendment_info(amendment)), form, amendment)
        if removed is not FAILED:
            messages.success(request, _("The commitment %(key)s was removed.") % {"key": commitment.key})
            return redirect(agreement)
    explanation = (
        _("The commitment stays on record for the period it was in force and ends with this amendment.")
        if amendment else _("The agreement is a draft: the commitment is deleted.")
    )
    return render(request, "front/confirm.html", {
        "title": _("Remove the commitment %(key)s?") % {"key": commitment.key}, "explanation": explanation,
        "form": form, "amendment": amendment, "button": _("Remove"), "danger": True,
        "back": commitment.get_absolute_url(), "agreement": agreement,
    })


@login_required
@require_http_methods(["GET", "POST"])
def instance_waive(request, reference, key, instance):
    commitment = get_rw_commitment(request, reference, key)
    instance = get_object_or_404(Instance, commitment=commitment, key=instance)
    form = WaiverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiver = attempt(lambda: do_waive_instance(commitment, instance.key, acting_user=request.user,
                                                   **form.cleaned_data), form)
        if waiver is not FAILED:
            messages.success(request, _("The waiver of %(instance)s was recorded.") % {"instance": instance.key})
            return redirect(commitment.get_absolute_url() + "#instances")
    return render(request, "front/waiver_form.html", {"commitment": commitment, "instance": instance, "form": form,
                                                      "agreement": commitment.agreement})
