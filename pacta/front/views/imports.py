"""Imports and exports in the web interface: agreement files (YAML), event
files (CSV/XLSX, canonical or through a saved column mapping) and the mappings.

Every import is upload → preview → confirm. The preview checks the whole file
(an agreement file is imported in a transaction that is rolled back; an event
file is read completely) and shows every problem as `FILE:LINE: field: what is
wrong`; nothing is written then. The uploaded bytes wait on the server under a
random token that only the uploader's session knows; the confirmation reads and
checks them again, so what is stored is what was previewed, checked now.

Who may: everybody signed in downloads; members import events and keep the
column mappings; agreement files change many parties and agreements at once,
so only managers import them.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from pacta.core.actions.events import LOOKUP_CHUNK, do_import_events
from pacta.core.actions.mappings import do_delete_column_mapping, do_save_column_mapping
from pacta.core.agreement_files import export_agreements, import_agreements_file
from pacta.core.imports import CANONICAL_COLUMNS, ImportErrors, read_events
from pacta.core.models import Agreement, ColumnMapping, Event, Party
from pacta.core.permissions import can_view
from pacta.front.filters import AgreementFilter
from pacta.front.import_forms import AgreementFileForm, ColumnMappingForm, EventFileForm

from .common import FAILED, attempt

PREVIEW_ROWS = 20
STASH_SECONDS = 24 * 3600  # an upload not confirmed within a day is gone
SESSION_KEY = "pacta_import_uploads"


# ---------------------------------------------------------------------------
# who may


def _may_import_events(user) -> bool:
    return can_view(user) and user.can_write


def _may_import_agreements(user) -> bool:
    return can_view(user) and user.is_manager


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may download, but not import."))


# ---------------------------------------------------------------------------
# uploads waiting for their confirmation


def _stash_dir() -> Path:
    path = Path(getattr(settings, "PACTA_UPLOAD_DIR", "") or Path(tempfile.gettempdir()) / "pacta-uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    """Forget uploads nobody confirmed."""
    limit = time.time() - STASH_SECONDS
    for old in directory.iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def _stash(request, kind: str, data: bytes, filename: str, **meta) -> str:
    """Keep an upload on the server; the returned token finds it again in this session only."""
    directory = _stash_dir()
    _sweep(directory)
    token = secrets.token_urlsafe(24)
    (directory / token).write_bytes(data)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {"kind": kind, "filename": filename, "sha256": hashlib.sha256(data).hexdigest(), **meta}
    request.session[SESSION_KEY] = uploads
    return token


@dataclass
class Stashed:
    token: str
    data: bytes
    filename: str
    meta: dict


def _unstash(request, kind: str) -> Stashed | None:
    """The upload named by the posted token, if this session stashed it for `kind` and it is intact."""
    token = request.POST.get("token", "")
    meta = request.session.get(SESSION_KEY, {}).get(token)
    if not meta or meta["kind"] != kind:
        return None
    path = _stash_dir() / token
    data = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        return None
    return Stashed(token, data, meta["filename"], meta)


def _drop(request, token: str) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    (_stash_dir() / token).unlink(missing_ok=True)


def _expired(request, url_name: str):
    messages.error(request, _("That upload is no longer waiting (it was imported, or it expired). Upload the file "
                              "again."))
    return redirect(url_name)


# ---------------------------------------------------------------------------
# agreements


def _agreements_dry_run(data: bytes, filename: str, user):
    return import_agreements_file(ContentFile(data, name=filename), acting_user=user, dry_run=True)


@login_required
@require_http_methods(["GET", "POST"])
def agreements_upload(request):
    """Upload an agreement file; show what it would do, or every problem in it."""
    _require(_may_import_agreements(request.user))
    posted = request.method == "POST"
    form = AgreementFileForm(request.POST if posted else None, request.FILES if posted else None, request=request)
    ctx = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data, filename = upload.read(), Path(upload.name).name
        try:
            ctx["summary"] = _agreements_dry_run(data, filename, request.user)
        except ImportErrors as exc:
            ctx["issues"] = exc.issues
        else:
            ctx["token"] = _stash(request, "agreements", data, filename)
        ctx["filename"] = filename
    return render(request, "front/imports/agreements.html", ctx)


@login_required
@require_POST
def agreements_confirm(request):
    """Import the previewed agreement file, checked again."""
    _require(_may_import_agreements(request.user))
    stashed = _unstash(request, "agreements")
    if stashed is None:
        return _expired(request, "imports:agreements")
    try:
        summary = import_agreements_file(ContentFile(stashed.data, name=stashed.filename), acting_user=request.user)
    except ImportErrors as exc:
        # The register changed since the preview: nothing was written; say why.
        _drop(request, stashed.token)
        return render(request, "front/imports/agreements.html", {
            "form": AgreementFileForm(), "issues": exc.issues, "filename": stashed.filename})
    _drop(request, stashed.token)
    messages.success(request, str(summary))
    return render(request, "front/imports/agreements_done.html", {
        "filename": stashed.filename,
        "groups": [(gettext_lazy("Agreements created"), _agreements(summary.created)),
                   (gettext_lazy("Agreements updated"), _agreements(summary.updated)),
                   (gettext_lazy("Agreements unchanged"), _agreements(summary.unchanged))],
        "parties": Party.objects.filter(code__in=summary.parties_created).order_by("code"),
    })


def _agreements(references: list[str]):
    return Agreement.objects.filter(reference__in=references).order_by("reference")


@login_required
def agreements_export(request, reference: str | None = None):
    """Agreements as one YAML agreement file: one (`reference`), or all those the agreement list's filters pick."""
    if reference is not None:
        queryset = Agreement.objects.filter(pk=get_object_or_404(Agreement, reference=reference).pk)
        name = reference
    else:
        queryset = AgreementFilter(request.GET).apply(Agreement.objects.all())
        name = "agreements-" + timezone.localdate().isoformat()
    response = HttpResponse(export_agreements(queryset), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.yaml"'
    return response


# ---------------------------------------------------------------------------
# events


def _mapping_data(mapping: ColumnMapping | None) -> dict | None:
    return {"mapping": mapping.mapping, "options": mapping.options} if mapping is not None else None


def _read_event_file(data: bytes, filename: str, mapping: ColumnMapping | None, source: str) -> pl.DataFrame:
    return read_events(data, filename=filename, mapping=_mapping_data(mapping), event_source=source, with_lines=True,
                       known_parties=set(Party.objects.values_list("code", flat=True)))


def _stored_count(frame: pl.DataFrame, source: str) -> int:
    """How many of the frame's ids the source has already: what importing them again leaves unchanged."""
    ids = frame["id"].to_list()
    return sum(Event.objects.filter(source=source, external_id__in=ids[i:i + LOOKUP_CHUNK]).count()
               for i in range(0, len(ids), LOOKUP_CHUNK))


def _preview_rows(frame: pl.DataFrame) -> list[dict]:
    """The first rows in canonical columns; a moment given as a day alone shows as that day."""
    rows = frame.head(PREVIEW_ROWS).select("line", *CANONICAL_COLUMNS, "date_only", "due_date_only").to_dicts()
    for row in rows:
        for name, day_only in (("at", "date_only"), ("due", "due_date_only")):
            if row[name] is not None and row[day_only]:
                row[name] = row[name].date()
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def events_upload(request):
    """Upload an event file with a mapping and a source; preview its first rows and counts, or every problem."""
    _require(_may_import_events(request.user))
    posted = request.method == "POST"
    form = EventFileForm(request.POST if posted else None, request.FILES if posted else None, request=request,
                         initial={"mapping": request.GET.get("mapping")})
    ctx = {"form": form, "columns": CANONICAL_COLUMNS}
    if request.method == "POST" and form.is_valid():
        upload, mapping, source = form.cleaned_data["file"], form.cleaned_data["mapping"], form.cleaned_data["source"]
        data, filename = upload.read(), Path(upload.name).name
        ctx.update(filename=filename, mapping=mapping, source=source)
        try:
            frame = _read_event_file(data, filename, mapping, source)
        except ImportErrors as exc:
            ctx["issues"] = exc.issues
        else:
            stored = _stored_count(frame, source)
            ctx.update(rows=_preview_rows(frame), count=len(frame), stored=stored, new=len(frame) - stored,
                       token=_stash(request, "events", data, filename, source=source,
                                    mapping=mapping.pk if mapping else None))
    return render(request, "front/imports/events.html", ctx)


@login_required
@require_POST
def events_confirm(request):
    """Import the previewed event file, read and checked again with its mapping as saved now."""
    _require(_may_import_events(request.user))
    stashed = _unstash(request, "events")
    if stashed is None:
        return _expired(request, "imports:events")
    source, mapping_id = stashed.meta["source"], stashed.meta["mapping"]
    mapping = ColumnMapping.objects.filter(pk=mapping_id).first() if mapping_id else None
    if mapping_id and mapping is None:
        _drop(request, stashed.token)
        messages.error(request, _("The column mapping was deleted since the preview. Upload the file again."))
        return redirect("imports:events")
    try:
        frame = _read_event_file(stashed.data, stashed.filename, mapping, source)
        batch = do_import_events(frame, source=source, filename=stashed.filename, acting_user=request.user)
    except ImportErrors as exc:
        _drop(request, stashed.token)
        return render(request, "front/imports/events.html", {
            "form": EventFileForm(initial={"source": source, "mapping": mapping}), "issues": exc.issues,
            "filename": stashed.filename, "columns": CANONICAL_COLUMNS})
    _drop(request, stashed.token)
    messages.success(request, _("%(file)s: %(rows)s rows: %(created)s new, %(unchanged)s unchanged.") % {
        "file": stashed.filename, "rows": batch.rows, "created": batch.created, "unchanged": batch.unchanged})
    parties = (Party.objects.filter(events__batch=batch).annotate(new_events=Count("events")).order_by("code"))
    return render(request, "front/imports/events_done.html", {
        "batch": batch, "evaluated": batch.evaluation.evaluated if batch.evaluation else 0, "parties": parties})


# ---------------------------------------------------------------------------
# column mappings


@login_required
def mapping_list(request):
    return render(request, "front/imports/mappings.html", {
        "mappings": ColumnMapping.objects.all(), "may_change": _may_import_events(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def mapping_form(request, pk: int | None = None):
    """Create a column mapping, or edit one."""
    _require(_may_import_events(request.user))
    instance = get_object_or_404(ColumnMapping, pk=pk) if pk is not None else None
    form = ColumnMappingForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_save_column_mapping(
            acting_user=request.user, name=form.cleaned_data["name"], mapping=form.mapping_data(),
            options=form.options_data(), instance=instance), form)
        if saved is not FAILED:
            messages.success(request, _("The column mapping %(name)s was saved.") % {"name": saved.name})
            return redirect("imports:mappings")
    return render(request, "front/imports/mapping_form.html", {"form": form, "mapping": instance})


@login_required
@require_http_methods(["GET", "POST"])
def mapping_delete(request, pk: int):
    _require(_may_import_events(request.user))
    mapping = get_object_or_404(ColumnMapping, pk=pk)
    if request.method == "POST":
        do_delete_column_mapping(mapping, acting_user=request.user)
        messages.success(request, _("The column mapping %(name)s was deleted.") % {"name": mapping.name})
        return redirect("imports:mappings")
    return render(request, "front/confirm.html", {
        "title": _("Delete the column mapping %(name)s?") % {"name": mapping.name},
        "explanation": _("Files of this layout can no longer be imported until a mapping is saved again. Events "
                         "already imported with it stay as they are."),
        "button": _("Delete"), "danger": True, "back": reverse("imports:mappings"),
    })
