"""Agreements: list, page, header, status, glossary, negotiation notes, versions and their diff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pacta.core.actions.register import (
    do_add_note,
    do_create_agreement,
    do_save_glossary,
    do_update_agreement,
    needs_amendment,
)
from pacta.core.documents import version_diff
from pacta.core.models import Agreement, Party
from pacta.core.permissions import can_change
from pacta.front.attachment_forms import AttachmentForm
from pacta.front.filters import AgreementFilter, current_title
from pacta.front.forms import AgreementForm, AmendmentForm, GlossaryFormSet, NoteForm, RevisionForm
from pacta.front.listing import Column

from .common import (
    FAILED,
    all_valid,
    amendment_info,
    attempt,
    get_agreement,
    get_rw_agreement,
    quiet,
    list_page,
    require_change,
    trail,
)

AGREEMENT_SORTS = {
    "reference": ("reference",),
    "party": ("party__name", "reference"),
    "status": ("status", "reference"),
    "valid_from": ("valid_from", "reference"),
    "valid_to": ("valid_to", "reference"),
}

AGREEMENT_COLUMNS = [
    Column(gettext_lazy("reference"), lambda a: a.reference),
    Column(gettext_lazy("title"), lambda a: a.title),
    Column(gettext_lazy("party"), lambda a: a.party.code),
    Column(gettext_lazy("party name"), lambda a: a.party.name),
    Column(gettext_lazy("role"), lambda a: a.role),
    Column(gettext_lazy("status"), lambda a: a.status),
    Column(gettext_lazy("currency"), lambda a: a.currency),
    Column(gettext_lazy("valid from"), lambda a: a.valid_from),
    Column(gettext_lazy("valid to"), lambda a: a.valid_to),
    Column(gettext_lazy("owner"), lambda a: a.owner and a.owner.get_username()),
    Column(gettext_lazy("commitments"), lambda a: a.commitment_count),
]


class Transition:
    """A status change offered on the agreement page, confirmed before it is made."""

    def __init__(self, status, sources, button, explanation):
        self.status, self.sources, self.button, self.explanation = status, sources, button, explanation


S = Agreement.Status
TRANSITIONS = {
    t.status: t
    for t in (
        Transition(S.IN_FORCE, (S.DRAFT,), gettext_lazy("Put in force"), gettext_lazy(
            "From then on every change of its terms is an amendment: a new version with its effective date, "
            "what changed, why and who agreed.")),
        Transition(S.SUSPENDED, (S.IN_FORCE,), gettext_lazy("Suspend"), gettext_lazy(
            "The agreement will be marked suspended until it is resumed. Its versions and commitments stay as they are.")),
        Transition(S.ENDED, (S.IN_FORCE, S.SUSPENDED), gettext_lazy("End"), gettext_lazy(
            "The agreement will be marked ended. Its history stays readable; it cannot be put in force again.")),
    )
}
RESUME = Transition(S.IN_FORCE, (S.SUSPENDED,), gettext_lazy("Resume"), gettext_lazy(
    "The agreement will be in force again from now on."))


def transitions_from(status: str) -> list[Transition]:
    if status == S.SUSPENDED:
        return [RESUME, TRANSITIONS[S.ENDED]]
    return [t for t in TRANSITIONS.values() if status in t.sources]


# ---------------------------------------------------------------------------
# list and page


@login_required
def agreement_list(request):
    qs = Agreement.objects.select_related("party", "owner").annotate(
        commitment_count=Count("commitments", filter=Q(commitments__removed_in__isnull=True))
    )
    return list_page(request, AgreementFilter(request.GET), qs, sorts=AGREEMENT_SORTS, default="reference",
                     columns=AGREEMENT_COLUMNS, export_name="agreements", template="agreement",
                     can_create=can_change(request.user))


@login_required
def agreement_detail(request, reference):
    agreement = get_agreement(reference)
    commitments = (
        agreement.commitments.select_related("owner", "removed_in").annotate(title_now=current_title()).order_by("key")
    )
    versions = list(agreement.versions.select_related("created_by").order_by("number"))
    can_edit = can_change(request.user, agreement)
    return render(request, "front/agreement_detail.html", {
        "agreement": agreement,
        "party": agreement.party,
        "commitments": [c for c in commitments if c.removed_in_id is None],
        "removed": [c for c in commitments if c.removed_in_id is not None],
        "versions": versions,
        "latest": versions[-1] if versions else None,
        "glossary": agreement.glossary.all(),
        "notes": agreement.notes.select_related("author"),
        "note_form": NoteForm() if can_edit else None,
        "attachments": agreement.attachments.select_related("version", "uploaded_by"),
        "attachment_form": AttachmentForm(agreement=agreement) if can_edit else None,
        "can_edit": can_edit,
        "transitions": transitions_from(agreement.status) if can_edit else [],
        "trail": trail(agreement=agreement),
    })


# ---------------------------------------------------------------------------
# header


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request):
    require_change(request)
    party = Party.objects.filter(code=request.GET.get("party", "")).first()
    initial = {"party": party, "owner": request.user, "currency": "EUR", "role": "customer",
               "timezone": party.timezone if party and party.timezone else settings.TIME_ZONE}
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        agreement = attempt(lambda: do_create_agreement(
            acting_user=request.user, party=c["party"], valid_from=c["valid_from"], **form.fields_for_register()), form)
        if agreement is not FAILED:
            messages.success(request, _("The agreement %(ref)s was created as a draft.") % {"ref": agreement})
            return redirect(agreement)
    return render(request, "front/agreement_form.html", {"form": form, "agreement": None})


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, reference):
    agreement = get_rw_agreement(request, reference)
    data = request.POST or None
    form = AgreementForm(data, instance=Agreement.objects.get(pk=agreement.pk))
    amendment = AmendmentForm(data) if needs_amendment(agreement) else None
    if request.method == "POST" and all_valid(form, amendment):
        saved = attempt(lambda: do_update_agreement(
            agreement, acting_user=request.user, expected_revision=form.cleaned_data["revision"],
            amendment=amendment_info(amendment), **form.fields_for_register()), form, amendment)
        if saved is not FAILED:
            messages.success(request, _("The agreement %(ref)s was saved.") % {"ref": saved})
            return redirect(saved)
    return render(request, "front/agreement_form.html", {"form": form, "agreement": agreement,
                                                         "amendment": amendment})


@login_required
@require_http_methods(["GET", "POST"])
def agreement_status(request, reference, status):
    agreement = get_rw_agreement(request, reference)
    transition = next((t for t in transitions_from(agreement.status) if t.status == status), None)
    if transition is None:
        raise Http404(_("This status change is not possible from here."))
    form = RevisionForm(request.POST or None, initial={"revision": agreement.revision})
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_update_agreement(agreement, acting_user=request.user,
                                                    expected_revision=form.cleaned_data["revision"], status=status), form)
        if saved is not FAILED:
            messages.success(request, _("%(ref)s is now %(status)s.")
                             % {"ref": saved, "status": saved.get_status_display()})
            return redirect(saved)
    return render(request, "front/confirm.html", {
        "title": _("%(action)s %(ref)s?") % {"action": transition.button, "ref": agreement},
        "explanation": transition.explanation, "form": form, "button": transition.button,
        "danger": status == S.ENDED, "back": agreement.get_absolute_url(), "agreement": agreement,
    })


# ---------------------------------------------------------------------------
# glossary and notes


@login_required
@require_http_methods(["GET", "POST"])
def glossary_edit(request, reference):
    agreement = get_rw_agreement(request, reference)
    if request.method == "POST":
        data = request.POST.copy()
        adding = "_add_row" in data
        if adding:
            data["glossary-TOTAL_FORMS"] = str(int(data.get("glossary-TOTAL_FORMS") or 0) + 1)
        formset = GlossaryFormSet(data, prefix="glossary")
        form = RevisionForm(data)
        amendment = AmendmentForm(data) if needs_amendment(agreement) else None
        if adding:
            quiet(formset, form, amendment)
        elif all_valid(formset, form, amendment):
            saved = attempt(lambda: do_save_glossary(
                agreement, formset.glossary(), acting_user=request.user,
                expected_revision=form.cleaned_data["revision"], amendment=amendment_info(amendment)), form, amendment)
            if saved is not FAILED:
                messages.success(request, _("The glossary was saved."))
                return redirect(agreement.get_absolute_url() + "#glossary")
    else:
        terms = [{"term": g.term, "definition": g.definition} for g in agreement.glossary.all()]
        formset = GlossaryFormSet(initial=terms, prefix="glossary")
        form = RevisionForm(initial={"revision": agreement.revision})
        amendment = AmendmentForm() if needs_amendment(agreement) else None
    return render(request, "front/glossary_form.html", {
        "agreement": agreement, "formset": formset, "form": form, "amendment": amendment,
    })


@login_required
@require_http_methods(["GET", "POST"])
def note_add(request, reference):
    agreement = get_rw_agreement(request, reference)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = attempt(lambda: do_add_note(agreement, acting_user=request.user, **form.cleaned_data), form)
        if note is not FAILED and request.htmx:
            form = NoteForm()  # the note is in the list; the form is ready for the next one
        elif note is not FAILED:
            messages.success(request, _("The note was added."))
            return redirect(agreement.get_absolute_url() + "#notes")
    ctx = {"agreement": agreement, "notes": agreement.notes.select_related("author"), "note_form": form,
           "can_edit": True}
    return render(request, "front/partials/notes.html" if request.htmx else "front/note_form.html", ctx)


# ---------------------------------------------------------------------------
# versions


CONTEXT_LINES = 3


def collapse(lines: list[tuple[str, str]]) -> list[dict]:
    """Diff lines in blocks: changes with a few unchanged lines around them; long
    unchanged stretches folded (the template shows them on request)."""
    blocks: list[dict] = []

    def add(fold: bool, part: list) -> None:
        if not part:
            return
        if blocks and not fold and not blocks[-1]["fold"]:
            blocks[-1]["lines"].extend(part)
        else:
            blocks.append({"fold": fold, "lines": list(part)})

    def unchanged(run: list, at_start: bool, at_end: bool) -> None:
        head = [] if at_start else run[:CONTEXT_LINES]
        tail = [] if at_end else run[-CONTEXT_LINES:]
        middle = run[len(head): len(run) - len(tail)]
        if len(middle) <= 1:  # folding one line saves nothing
            head, middle, tail = run, [], []
        add(False, head)
        add(True, middle)
        add(False, tail)

    run: list[tuple[str, str]] = []
    for op, text in lines:
        if op == " ":
            run.append((op, text))
            continue
        unchanged(run, at_start=not blocks, at_end=False)
        run = []
        add(False, [(op, text)])
    unchanged(run, at_start=not blocks, at_end=True)
    return blocks


def _number(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
def agreement_diff(request, reference):
    agreement = get_agreement(reference)
    versions = {v.number: v for v in agreement.versions.select_related("created_by").order_by("number")}
    if not versions:
        raise Http404(_("This agreement has no versions yet."))
    new_number = _number(request.GET.get("to"), max(versions))
    old_number = _number(request.GET.get("from"), new_number - 1)
    new = versions.get(new_number)
    if new is None or (old_number and old_number not in versions):
        raise Http404(_("No such version."))
    old = versions.get(old_number)  # none: the whole text of `new` reads as added
    lines = version_diff(old, new)
    ctx = {
        "agreement": agreement, "versions": list(versions.values()), "old": old, "new": new,
        "blocks": collapse(lines),
        "added": sum(1 for op, _t in lines if op == "+"),
        "removed": sum(1 for op, _t in lines if op == "-"),
    }
    if request.htmx and request.htmx.target == "diff":
        return render(request, "front/partials/diff.html", ctx)
    return render(request, "front/agreement_diff.html", ctx)
