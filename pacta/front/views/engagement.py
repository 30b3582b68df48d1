"""Intakes (clarify before committing), customer status updates and check-ins.

Views are short (STYLE.md habit 6): a permission-checked look-up, a form, one
call of a do_* write of `pacta.core.actions.engagement`, then render or
redirect. Refusals of the writes are shown next to their fields, nothing typed
is lost.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from pacta.core import intake as intakes
from pacta.core import updates
from pacta.core.actions.engagement import (
    do_accept_counter_offer,
    do_compose_update,
    do_create_intake,
    do_decide_intake,
    do_discard_update,
    do_record_check_in,
    do_save_update,
    do_send_update,
    do_submit_intake,
    do_update_intake,
    update_mails,
)
from pacta.core.actions.register import ConflictError, RegisterError
from pacta.core.commitments import REGISTRY
from pacta.core.models import Intake, Party, StatusUpdate
from pacta.core.permissions import can_change
from pacta.front.engagement_forms import (
    CheckInForm,
    DecisionForm,
    DraftTermsForm,
    IntakeFilter,
    IntakeForm,
    KeyTermFormSet,
    PromiseForm,
    PromiseFormSet,
    StatusUpdateForm,
    UpdateFilter,
    key_term_rows,
    params_reference,
    promise_rows,
)
from pacta.front.forms import RevisionForm
from pacta.front.listing import Column, Listing
from pacta.front.params_forms import describe_params, params_form
from pacta.lib import clock, emails

from .common import FAILED, all_valid, attempt, get_party, get_rw_party, place_errors, quiet, render_list, \
    show_conflict, trail

DUE_SOON = dt.timedelta(days=14)  # the updates list shows the parties owed one within this time

INTAKE_SORTS = {
    "created": ("created_at",),
    "title": ("title",),
    "party": ("party__name", "prospect_name"),
    "status": ("status",),
    "submitted": ("submitted_at",),
    "owner": ("owner__username",),
}

INTAKE_COLUMNS = [
    Column(gettext_lazy("id"), lambda i: i.pk),
    Column(gettext_lazy("request"), lambda i: i.title),
    Column(gettext_lazy("party"), lambda i: i.party.code if i.party else ""),
    Column(gettext_lazy("prospect"), lambda i: i.prospect_name),
    Column(gettext_lazy("status"), lambda i: i.status),
    Column(gettext_lazy("owner"), lambda i: i.owner.get_username() if i.owner else ""),
    Column(gettext_lazy("created"), lambda i: i.created_at),
    Column(gettext_lazy("submitted for decision"), lambda i: i.submitted_at),
    Column(gettext_lazy("decided"), lambda i: i.decided_at),
    Column(gettext_lazy("agreement"), lambda i: i.agreement.reference if i.agreement else ""),
]

UPDATE_SORTS = {
    "created": ("created_at",),
    "sent": ("sent_at",),
    "party": ("party__name", "-created_at"),
    "subject": ("subject",),
    "status": ("status", "-created_at"),
}

UPDATE_COLUMNS = [
    Column(gettext_lazy("party"), lambda u: u.party.code),
    Column(gettext_lazy("subject"), lambda u: u.subject),
    Column(gettext_lazy("status"), lambda u: u.status),
    Column(gettext_lazy("language"), lambda u: u.language),
    Column(gettext_lazy("created"), lambda u: u.created_at),
    Column(gettext_lazy("sent"), lambda u: u.sent_at),
    Column(gettext_lazy("recipients"), lambda u: ", ".join(r.get("email") or r.get("name", "") for r in u.recipients)),
]


CHECK_IN_COLUMNS = [
    Column(gettext_lazy("date"), lambda c: c.date),
    Column(gettext_lazy("participants"), lambda c: c.participants),
    Column(gettext_lazy("what went well"), lambda c: c.went_well),
    Column(gettext_lazy("what did not go well"), lambda c: c.went_badly),
    Column(gettext_lazy("what we change"), lambda c: c.changes),
    Column(gettext_lazy("recorded by"), lambda c: c.created_by.get_username() if c.created_by else ""),
]


# ---------------------------------------------------------------------------
# Look-ups


def get_intake(pk: int) -> Intake:
    return get_object_or_404(Intake.objects.select_related("party", "agreement", "owner", "decided_by"), pk=pk)


def get_rw_intake(request, pk: int) -> Intake:
    intake = get_intake(pk)
    if not intakes.can_change_intake(request.user, intake):
        raise PermissionDenied(_("You may look at this, but not change it."))
    return intake


def get_update(code: str, pk: int) -> StatusUpdate:
    return get_object_or_404(StatusUpdate.objects.select_related("party", "sent_by", "created_by", "event"),
                             party__code=code, pk=pk)


def intake_url(intake: Intake) -> str:
    return reverse("engagement:intake", args=[intake.pk])


def update_url(update: StatusUpdate) -> str:
    return reverse("engagement:update", args=[update.party.code, update.pk])


# ---------------------------------------------------------------------------
# Intakes


@login_required
def intake_list(request):
    now = clock.now()
    filters = IntakeFilter(request.GET)
    qs = Intake.objects.select_related("party", "owner", "agreement")
    listing = Listing(request, filters.apply(qs, now), sorts=INTAKE_SORTS, default="-created")
    if listing.export_format:
        return listing.export("intakes", INTAKE_COLUMNS)
    for intake in listing.page:
        intake.waiting = intakes.waiting_days(intake, now)
        intake.too_long = intakes.is_waiting_too_long(intake, now)
    return render_list(request, "front/engagement/intake_list.html", "front/engagement/intake_results.html", {
        "filters": filters, "listing": listing, "can_create": intakes.can_change_intake(request.user),
    })


def _place_intake_errors(errors: dict[str, list[str]], form, terms, promises, positions: list[int]) -> None:
    """The register's errors next to their inputs: key terms and promises by row."""
    rest = {}
    for key, found in errors.items():
        head, _sep, tail = key.partition(".")
        if head in ("key_terms", "proposed_commitments") and tail:
            index, _sep, name = tail.partition(".")
            formset = terms if head == "key_terms" else promises
            row = int(index) if head == "key_terms" else positions[int(index)]
            target = formset.forms[row]
            field, _sep, path = name.partition(".")
            for message in found:
                if field in target.fields:
                    target.add_error(field, f"{path}: {message}" if path else message)
                else:
                    target.add_error(None, message)
        else:
            rest[key] = found
    if rest:
        place_errors(rest, [form])


def _with_added_row(data, prefixes: tuple[str, ...]):
    """The posted data with one more empty row in the formset whose "add a row" was pressed."""
    adding = data.get("_add_row")
    if adding not in prefixes:
        return data, None
    data = data.copy()
    data[f"{adding}-TOTAL_FORMS"] = str(int(data.get(f"{adding}-TOTAL_FORMS") or 0) + 1)
    return data, adding


def _intake_form_page(request, intake: Intake | None, initial: dict):
    if request.method == "POST":
        data, adding = _with_added_row(request.POST, ("terms", "promises"))
    else:
        data, adding = None, None
    copy = Intake.objects.get(pk=intake.pk) if intake else None  # the form works on its own copy
    form = IntakeForm(data, instance=copy, initial=initial)
    terms = KeyTermFormSet(data, prefix="terms", initial=intake.key_terms if intake else None)
    promises = PromiseFormSet(data, prefix="promises", initial=[
        PromiseForm.initial_for(p) for p in intake.proposed_commitments] if intake else None)
    if adding:
        quiet(form, terms, promises)
    elif data is not None and all_valid(form, terms, promises):
        fields = form.fields_for_intake()
        fields["key_terms"] = key_term_rows(terms)
        fields["proposed_commitments"], positions = promise_rows(promises)
        saved = _attempt_intake_write(request, intake, form, fields, terms, promises, positions)
        if saved is not FAILED:
            messages.success(request, _("The intake “%(title)s” was saved.") % {"title": saved.title})
            return redirect(intake_url(saved))
    return render(request, "front/engagement/intake_form.html", {
        "intake": intake, "form": form, "terms": terms, "promises": promises, "types": params_reference(),
    })


def _attempt_intake_write(request, intake, form, fields, terms, promises, positions):
    try:
        if intake is None:
            return do_create_intake(acting_user=request.user, **fields)
        return do_update_intake(intake, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
                                **fields)
    except ConflictError as exc:
        show_conflict(form, exc)
    except RegisterError as exc:
        _place_intake_errors(exc.errors, form, terms, promises, positions)
    return FAILED


@login_required
@require_http_methods(["GET", "POST"])
def intake_create(request):
    if not intakes.can_change_intake(request.user):
        raise PermissionDenied(_("You may look at this, but not change it."))
    code = request.GET.get("party")
    party = Party.objects.filter(code=code).first() if code else None
    return _intake_form_page(request, None, {"party": party, "owner": request.user, "currency": "EUR"})


@login_required
@require_http_methods(["GET", "POST"])
def intake_edit(request, pk):
    intake = get_rw_intake(request, pk)
    if not intakes.is_editable(intake):
        messages.error(request, _("This intake was decided and can no longer be changed."))
        return redirect(intake_url(intake))
    return _intake_form_page(request, intake, {})


def _decision_initial(intake: Intake) -> dict:
    today = clock.local_today()
    first_of_next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return {"revision": intake.revision, "reference": intakes.suggest_reference(intake, first_of_next_month.year),
            "valid_from": first_of_next_month}


def _intake_page(request, intake: Intake, *, decision: DecisionForm | None = None,
                 counter: DraftTermsForm | None = None):
    now = clock.now()
    can_edit = intakes.can_change_intake(request.user, intake)
    if can_edit and intake.status == Intake.Status.AWAITING_DECISION and decision is None:
        decision = DecisionForm(intake=intake, initial=_decision_initial(intake))
    if can_edit and intake.status == Intake.Status.COUNTERED and counter is None:
        counter = DraftTermsForm(intake=intake, initial=_decision_initial(intake), prefix="counter")
    promises = [{**p, "label": REGISTRY[p["type"]].label if p.get("type") in REGISTRY else p.get("type"),
                 "described": describe_params(p["type"], p.get("params")) if p.get("type") in REGISTRY else []}
                for p in intake.proposed_commitments or []]
    return render(request, "front/engagement/intake_detail.html", {
        "intake": intake, "sections": _sections(intake), "promises": promises, "figures": intakes.cost_benefit(intake), "can_edit": can_edit,
        "editable": can_edit and intakes.is_editable(intake), "waiting": intakes.waiting_days(intake, now),
        "too_long": intakes.is_waiting_too_long(intake, now), "decision": decision, "counter": counter,
        "revision_form": RevisionForm(initial={"revision": intake.revision}),
        "types": [(name, t.label) for name, t in sorted(REGISTRY.items(), key=lambda item: str(item[1].label))],
        "trail": trail(object_type="intake", object_id=str(intake.pk)),
    })


def _sections(intake: Intake) -> list[dict]:
    """The intake's clarification by the form's sections: legend, and (label, text) of each field."""
    sections = []
    for legend, _help, names in IntakeForm.SECTIONS:
        rows = [(Intake._meta.get_field(n).verbose_name, getattr(intake, n)) for n in names
                if n not in ("title", "party", "prospect_name", "agreement", "owner", "currency", "expected_revenue",
                             "expected_margin")]
        if rows:
            sections.append({"legend": legend, "rows": rows})
    return sections


@login_required
def intake_detail(request, pk):
    return _intake_page(request, get_intake(pk))


@login_required
@require_POST
def intake_submit(request, pk):
    intake = get_rw_intake(request, pk)
    form = RevisionForm(request.POST)
    if form.is_valid():
        try:
            do_submit_intake(intake, acting_user=request.user, expected_revision=form.cleaned_data["revision"])
            messages.success(request, _("The intake waits for a decision."))
        except (ConflictError, RegisterError) as exc:
            messages.error(request, _refusal(exc, Intake))
    return redirect(intake_url(intake))


def _refusal(exc: Exception, model) -> str:
    """A refusal as one sentence for a message: field labels with their errors."""
    if isinstance(exc, ConflictError):
        return str(exc)
    parts = []
    for key, found in exc.errors.items():
        try:
            label = str(model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:  # the whole object, or a row of a list
            label = ""
        parts.append(f"{label[:1].upper()}{label[1:]}: {' '.join(found)}" if label else " ".join(found))
    return " ".join(parts)


def _attempt_decision(write, form):
    """Run a decision; refusals about the intake's promises (not on this form) are told as a whole."""
    try:
        return write()
    except ConflictError as exc:
        show_conflict(form, exc)
    except RegisterError as exc:
        on_form = {k: v for k, v in exc.errors.items() if k in form.fields}
        for key, found in exc.errors.items():
            if key not in on_form:
                prefix = key.split(".", 1)[-1] + ": " if "." in key else ""
                for message in found:
                    form.add_error(None, prefix + message)
        place_errors(on_form, [form])
    return FAILED


@login_required
@require_POST
def intake_decide(request, pk):
    intake = get_rw_intake(request, pk)
    form = DecisionForm(request.POST, intake=intake)
    if form.is_valid():
        c = form.cleaned_data
        decided = _attempt_decision(lambda: do_decide_intake(
            intake, acting_user=request.user, expected_revision=c["revision"], decision=c["decision"],
            reason=c["reason"], counter_offer=c["counter_offer"], terms=form.terms()), form)
        if decided is not FAILED:
            _tell_decision(request, decided)
            return redirect(intake_url(decided))
    return _intake_page(request, intake, decision=form)


def _tell_decision(request, intake: Intake) -> None:
    if intake.status == Intake.Status.ACCEPTED:
        messages.success(request, _("Accepted: the promises are in the draft agreement %(agreement)s.")
                         % {"agreement": intake.agreement.reference})
    elif intake.status == Intake.Status.DECLINED:
        messages.success(request, _("The request was declined; the reason is recorded."))
    else:
        messages.success(request, _("The counter-offer is recorded. Once the customer takes it, accept it here."))


@login_required
@require_POST
def intake_accept_counter(request, pk):
    intake = get_rw_intake(request, pk)
    form = DraftTermsForm(request.POST, intake=intake, prefix="counter")
    if form.is_valid():
        accepted = _attempt_decision(lambda: do_accept_counter_offer(
            intake, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
            terms=form.terms()), form)
        if accepted is not FAILED:
            _tell_decision(request, accepted)
            return redirect(intake_url(accepted))
    return _intake_page(request, intake, counter=form)


class PromiseHeadForm(PromiseForm):
    """A promise's own fields when its parameters come from the type's generated form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["type"], self.fields["params"]


@login_required
@require_http_methods(["GET", "POST"])
def promise_form(request, pk, index: int | None = None, type_name: str | None = None):
    """One proposed promise with the parameter form the register uses for its type."""
    intake = get_rw_intake(request, pk)
    if not intakes.is_editable(intake):
        messages.error(request, _("This intake was decided and can no longer be changed."))
        return redirect(intake_url(intake))
    promises = list(intake.proposed_commitments or [])
    if index is not None and not 0 <= index < len(promises):
        raise Http404(_("No such promise."))
    current = promises[index] if index is not None else None
    type_name = current["type"] if current else type_name
    if type_name not in REGISTRY:
        raise Http404(_("Unknown commitment type."))
    if request.method == "POST":
        data = request.POST
        adding = data.get("_add_row", "").removeprefix("p-").removesuffix("__rows") or None
        head = PromiseHeadForm(data)
        params = params_form(type_name, data, add_row=adding)
        if adding:
            quiet(head, params)
        elif all_valid(head, params):
            promise = {**head.promise(), "type": type_name, "params": params.params}
            position = index if index is not None else len(promises)
            promises[position:position + 1] = [promise]
            saved = _attempt_promise(request, intake, head, params, promises, position)
            if saved is not FAILED:
                messages.success(request, _("The promise %(key)s was saved.") % {"key": promise["key"]})
                return redirect(intake_url(intake) + "#promises")
    else:
        head = PromiseHeadForm(initial=PromiseForm.initial_for(current) if current else {"direction": "we_owe"})
        params = params_form(type_name, initial_params=current.get("params") if current else None)
    return render(request, "front/engagement/promise_form.html", {
        "intake": intake, "head": head, "params": params, "type": REGISTRY[type_name], "current": current,
    })


def _attempt_promise(request, intake, head, params, promises, position):
    try:
        return do_update_intake(intake, acting_user=request.user, expected_revision=intake.revision,
                                proposed_commitments=promises)
    except ConflictError as exc:
        head.add_error(None, str(exc))
    except RegisterError as exc:
        mine = f"proposed_commitments.{position}."
        for key, found in exc.errors.items():
            name = key.removeprefix(mine)
            for message in found:
                if name.startswith("params"):
                    params.add_param_error(name.partition(".")[2], message)
                elif key.startswith(mine) and name in head.fields:
                    head.add_error(name, message)
                else:
                    head.add_error(None, message)
    return FAILED


# ---------------------------------------------------------------------------
# Status updates


def _due_soon(now: dt.datetime) -> list[dict]:
    """The parties owed an update within DUE_SOON (or overdue), soonest first, with their draft."""
    due = {pk: nu for pk, nu in updates.next_updates_due(now).items() if nu.due <= now + DUE_SOON}
    rows = [{"party": party, "next": due[party.pk], "draft": updates.open_draft(party)}
            for party in Party.objects.filter(pk__in=list(due))]
    return sorted(rows, key=lambda row: row["next"].due)


@login_required
def update_list(request):
    filters = UpdateFilter(request.GET)
    qs = StatusUpdate.objects.select_related("party", "sent_by")
    listing = Listing(request, filters.apply(qs), sorts=UPDATE_SORTS, default="-created")
    if listing.export_format:
        return listing.export("status-updates", UPDATE_COLUMNS)
    return render_list(request, "front/engagement/update_list.html", "front/engagement/update_results.html", {
        "filters": filters, "listing": listing, "due_soon": _due_soon(clock.now()),
    })


@login_required
def party_updates(request, code):
    party = get_party(code)
    now = clock.now()
    qs = party.status_updates.select_related("sent_by")
    listing = Listing(request, qs, sorts=UPDATE_SORTS, default="-created")
    if listing.export_format:
        return listing.export(f"status-updates-{party.code}", UPDATE_COLUMNS)
    return render(request, "front/engagement/party_updates.html", {
        "party": party, "listing": listing, "next_due": updates.next_update_due(party, now),
        "last_sent": updates.last_sent(party), "draft": updates.open_draft(party),
        "recipients": updates.recipients(party), "can_edit": can_change(request.user, party),
        "check_ins": party.check_ins.all()[:3],
    })


@login_required
@require_POST
def update_compose(request, code):
    party = get_rw_party(request, code)
    draft = updates.open_draft(party)
    if draft is None:
        draft = do_compose_update(party, acting_user=request.user)
        messages.success(request, _("A draft was composed from the latest verdicts. Read it, change what you like, then send it."))
    else:
        messages.info(request, _("This draft is waiting to be sent; it was made before."))
    return redirect(reverse("engagement:update_edit", args=[party.code, draft.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def update_edit(request, code, pk):
    party = get_rw_party(request, code)
    update = get_update(code, pk)
    if update.status != StatusUpdate.Status.DRAFT:
        messages.error(request, _("This update was sent; it can no longer be changed."))
        return redirect(update_url(update))
    form = StatusUpdateForm(request.POST or None, instance=StatusUpdate.objects.get(pk=update.pk))
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_save_update(update, acting_user=request.user,
                                               expected_revision=form.cleaned_data["revision"],
                                               **form.fields_for_update()), form)
        if saved is not FAILED:
            messages.success(request, _("The draft was saved. This is how the customer will read it."))
            return redirect(update_url(saved))
    return render(request, "front/engagement/update_form.html", {
        "party": party, "update": update, "form": form, "next_due": updates.next_update_due(party, clock.now()),
    })


@login_required
def update_detail(request, code, pk):
    update = get_update(code, pk)
    party = update.party
    contacts = updates.recipients(party)
    reader = next(iter(updates.deliverable(contacts)), None)
    sender = update.sent_by if update.sent_by_id else request.user
    return render(request, "front/engagement/update_detail.html", {
        "party": party, "update": update, "preview": updates.render_mail(update, reader, sender),
        "contacts": [{"contact": c, "problem": emails.address_problem(c.email)} for c in contacts],
        "mails": update_mails(update) if update.status == StatusUpdate.Status.SENT else [],
        "can_edit": can_change(request.user, party), "revision_form": RevisionForm(initial={"revision": update.revision}),
        "trail": trail(object_type="statusupdate", object_id=str(update.pk)),
    })


def _confirmed(request, code, pk, write, done, page: dict):
    """A confirmation page for a write on a draft (GET), and the write (POST): `write(update, revision)`
    returns where to go; a refusal is told on the update's page."""
    get_rw_party(request, code)
    update = get_update(code, pk)
    form = RevisionForm(request.POST or None, initial={"revision": update.revision})
    if request.method == "POST" and form.is_valid():
        try:
            target = write(update, form.cleaned_data["revision"])
        except (ConflictError, RegisterError) as exc:
            messages.error(request, _refusal(exc, StatusUpdate))
            return redirect(update_url(update))
        messages.success(request, done(update))
        return redirect(target)
    return render(request, "front/confirm.html", {**page(update), "form": form, "back": update_url(update)})


@login_required
@require_http_methods(["GET", "POST"])
def update_send(request, code, pk):
    def send(update, revision):
        return update_url(do_send_update(update, acting_user=request.user, expected_revision=revision))

    def page(update):
        names = ", ".join(c.name for c in updates.deliverable(updates.recipients(update.party))) or "—"
        return {"title": _("Send “%(subject)s”?") % {"subject": update.subject}, "button": _("Send"),
                "explanation": _("It goes by e-mail to %(names)s and is recorded as a status update to %(party)s. "
                                 "A sent update cannot be changed.") % {"names": names, "party": update.party.name}}

    return _confirmed(request, code, pk, send, lambda update: _("The update was sent to %(names)s.") % {
        "names": ", ".join(r["name"] for r in update.recipients)}, page)


@login_required
@require_http_methods(["GET", "POST"])
def update_discard(request, code, pk):
    def discard(update, revision):
        do_discard_update(update, acting_user=request.user, expected_revision=revision)
        return reverse("engagement:party_updates", args=[code])

    return _confirmed(request, code, pk, discard, lambda _update: _("The draft was thrown away."), lambda update: {
        "title": _("Throw the draft “%(subject)s” away?") % {"subject": update.subject},
        "explanation": _("The draft is deleted. The audit log keeps a record of it."),
        "button": _("Throw away"), "danger": True})


@login_required
def update_pdf(request, code, pk):
    update = get_update(code, pk)
    response = HttpResponse(updates.update_pdf(update), content_type="application/pdf")
    day = (update.sent_at.date() if update.sent_at else update.period_end or update.created_at.date()).isoformat()
    response["Content-Disposition"] = f'inline; filename="status-update-{update.party.code}-{day}.pdf"'
    return response


# ---------------------------------------------------------------------------
# Check-ins


@login_required
@require_http_methods(["GET", "POST"])
def check_ins(request, code):
    party = get_party(code)
    can_edit = can_change(request.user, party)
    form = CheckInForm(request.POST or None, initial={"date": clock.local_today(updates.party_timezone(party))}) \
        if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("You may look at this, but not change it."))
        if form.is_valid():
            recorded = attempt(lambda: do_record_check_in(party, acting_user=request.user, **form.cleaned_data), form)
            if recorded is not FAILED:
                messages.success(request, _("The check-in of %(date)s was recorded.") % {"date": recorded.date})
                return redirect(reverse("engagement:check_ins", args=[party.code]))
    listing = Listing(request, party.check_ins.select_related("created_by"), sorts={"date": ("date",)},
                      default="-date", per_page=20)
    if listing.export_format:
        return listing.export(f"check-ins-{party.code}", CHECK_IN_COLUMNS)
    return render(request, "front/engagement/check_ins.html", {
        "party": party, "form": form, "listing": listing, "can_edit": can_edit,
    })
