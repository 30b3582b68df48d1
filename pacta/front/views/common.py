"""What the views share: permission-checked look-ups, the register's errors
placed on the right form, the audit trail of an object."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.forms import BaseFormSet
from django.forms.utils import ErrorDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from pacta.core.actions.register import ConflictError, RegisterError, VersionInfo
from pacta.core.models import Agreement, AuditEntry, Commitment, Party
from pacta.core.permissions import can_change
from pacta.front.forms import AmendmentForm
from pacta.front.listing import Listing

TRAIL_LENGTH = 10
FAILED = object()  # what `attempt` returns when the register refused the write


def require_change(request, obj=None) -> None:
    """403 unless the signed-in user may change `obj` (None: may create things)."""
    if not can_change(request.user, obj):
        raise PermissionDenied(_("You may look at this, but not change it."))


def get_party(code: str) -> Party:
    return get_object_or_404(Party.objects.select_related("spoc", "deputy"), code=code)


def get_agreement(reference: str) -> Agreement:
    return get_object_or_404(
        Agreement.objects.select_related("party", "party__spoc", "party__deputy", "owner", "deputy"),
        reference=reference,
    )


def get_commitment(reference: str, key: str) -> Commitment:
    return get_object_or_404(
        Commitment.objects.select_related("agreement", "agreement__party", "owner", "registrar", "removed_in"),
        agreement__reference=reference, key=key,
    )


def get_rw_party(request, code: str) -> Party:
    party = get_party(code)
    require_change(request, party)
    return party


def get_rw_agreement(request, reference: str) -> Agreement:
    agreement = get_agreement(reference)
    require_change(request, agreement)
    return agreement


def get_rw_commitment(request, reference: str, key: str) -> Commitment:
    commitment = get_commitment(reference, key)
    require_change(request, commitment)
    return commitment


def place_errors(errors: dict[str, list[str]], forms: list, params_form=None, whole: dict | None = None) -> None:
    """Show the register's errors next to their fields.

    `params.<path>` goes to the parameter form's input for that path; a key
    of `whole` to that form as a whole (e.g. "amendment"); another key to the
    first form that has a field of that name; the rest to the first form as a
    whole.
    """
    whole = whole or {}
    for key, messages in errors.items():
        for message in messages:
            if params_form is not None and (key == "params" or key.startswith("params.")):
                params_form.add_param_error(key.partition(".")[2], message)
            elif whole.get(key) is not None:
                whole[key].add_error(None, message)
            else:
                target = next((f for f in forms if f is not None and key in f.fields), None)
                (target or forms[0]).add_error(key if target else None, message)


def all_valid(*forms) -> bool:
    """Validate every form given (None: not on the page), so that each shows its errors."""
    return all([f.is_valid() for f in forms if f is not None])


def amendment_info(form: AmendmentForm | None) -> VersionInfo | None:
    return form.version_info() if form is not None else None


def attempt(write, *forms, params_form=None):
    """Run one register write and return its result, or FAILED when it was refused.

    A conflict is told on the first form (the one that carries the revision);
    the register's other errors go next to their fields (`place_errors`);
    "amendment" to the amendment form. Nothing typed is lost.
    """
    try:
        return write()
    except ConflictError as exc:
        show_conflict(forms[0], exc)
    except RegisterError as exc:
        amendment = next((f for f in forms if isinstance(f, AmendmentForm)), None)
        place_errors(exc.errors, list(forms), params_form, whole={"amendment": amendment})
    return FAILED


def show_conflict(form, exc: ConflictError) -> None:
    """Keep what was typed, say what happened, and carry the revision now stored."""
    form.add_error(None, str(exc))
    form.add_error(None, _("What you typed is still in the form below. Saving it again replaces the other change."))
    form.refresh_revision(type(exc.obj).objects.values_list("revision", flat=True).get(pk=exc.obj.pk))


def trail(**filters) -> list[AuditEntry]:
    """The latest audit entries of an object (by `party=`, `agreement=` or object type and id)."""
    entries = list(AuditEntry.objects.filter(**filters).select_related("user", "agreement", "party")[:TRAIL_LENGTH])
    link_commitments(entries)
    return entries


def link_commitments(entries) -> None:
    """Give each audit entry about a commitment that commitment (`entry.commitment`), in one query."""
    ids = [e.object_id for e in entries if e.object_type == "commitment" and e.object_id.isdigit()]
    found = {str(c.pk): c for c in Commitment.objects.select_related("agreement").filter(pk__in=ids)}
    for e in entries:
        e.commitment = found.get(e.object_id) if e.object_type == "commitment" else None



def list_page(request, filters, queryset, *, sorts: dict, default: str, columns: list, export_name: str,
              template: str, per_page: int = 50, on_page=None, **ctx):
    """A list page: narrowed by `filters`, sorted, paged; `?format=csv` or `xlsx` exports the
    whole list as `<export_name>.csv`/`.xlsx`. Templates `front/<template>_list.html` and
    `front/partials/<template>_results.html` (what the filter form's htmx request gets).
    `on_page(page)` prepares the rows shown."""
    listing = Listing(request, filters.apply(queryset), sorts=sorts, default=default, per_page=per_page)
    if listing.export_format:
        return listing.export(export_name, columns)
    if on_page is not None:
        on_page(listing.page)
    return render_list(request, f"front/{template}_list.html", f"front/partials/{template}_results.html",
                       {"filters": filters, "listing": listing, **ctx})


def render_list(request, page_template: str, results_template: str, ctx: dict):
    """A list page, or only its results for the htmx request of its filter form."""
    filters = ctx.get("filters")
    ctx.setdefault("filtered", bool(filters is not None and any(filters.values().values())))
    only_results = bool(request.htmx) and request.htmx.target == "results"
    return render(request, results_template if only_results else page_template, ctx)


def quiet(*forms) -> None:
    """Show bound forms without judging them yet (after "add row": nobody has
    pressed save). What was typed stays in the inputs."""
    for form in forms:
        if form is None:
            continue
        if isinstance(form, BaseFormSet):
            form._errors, form._non_form_errors = [], form.error_class()
            quiet(*form.forms)
        else:
            form._errors, form.cleaned_data = ErrorDict(), {}
