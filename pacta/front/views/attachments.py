"""Attachments of an agreement: attach a file, download it, remove it.

Every signed-in user downloads; those who may change the agreement
(pacta.core.permissions) attach and remove. A download is found by its
agreement and number only: the stored path never comes from the request.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pacta.core.actions.attachments import do_add_attachment, do_remove_attachment
from pacta.core.models import Attachment
from pacta.front.attachment_forms import AttachmentForm
from pacta.lib.uploads import download_response

from .common import FAILED, attempt, get_rw_agreement


def get_attachment(reference: str, pk: int) -> Attachment:
    return get_object_or_404(Attachment.objects.select_related("agreement", "agreement__party", "version"),
                             pk=pk, agreement__reference=reference)


@login_required
@require_http_methods(["GET", "POST"])
def attachment_add(request, reference):
    agreement = get_rw_agreement(request, reference)
    posted = request.method == "POST"
    form = AttachmentForm(request.POST if posted else None, request.FILES if posted else None, agreement=agreement,
                          request=request)
    if posted and form.is_valid():
        data = form.cleaned_data
        attachment = attempt(lambda: do_add_attachment(
            agreement, data["file"], acting_user=request.user, name=data["file"].name,
            description=data["description"], version=data["version"]), form)
        if attachment is not FAILED:
            messages.success(request, _("%(name)s was attached.") % {"name": attachment.name})
            return redirect(agreement.get_absolute_url() + "#attachments")
    return render(request, "front/attachment_form.html", {"agreement": agreement, "form": form})


@login_required
@require_GET
def attachment_download(request, reference, pk):
    attachment = get_attachment(reference, pk)
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file of %(name)s is missing from the server's storage; restore it from a backup.")
                      % {"name": attachment.name}) from None
    return download_response(file, attachment.name, attachment.content_type)


@login_required
@require_http_methods(["GET", "POST"])
def attachment_remove(request, reference, pk):
    agreement = get_rw_agreement(request, reference)
    attachment = get_attachment(reference, pk)
    if request.method == "POST":
        do_remove_attachment(attachment, acting_user=request.user)
        messages.success(request, _("%(name)s was removed.") % {"name": attachment.name})
        return redirect(agreement.get_absolute_url() + "#attachments")
    return render(request, "front/confirm.html", {
        "title": _("Remove the attachment %(name)s?") % {"name": attachment.name},
        "explanation": _("The file is deleted from the server. The audit log keeps its name and checksum."),
        "button": _("Remove"), "danger": True, "back": agreement.get_absolute_url() + "#attachments",
        "agreement": agreement,
    })
