"""Attachments of agreements: signed amendments, scans, e-mails.

`do_add_attachment` checks the file (pacta.lib.uploads: its size, that its
content is what its extension says and that it is whole), stores it under a
name pacta chooses and records it; `do_remove_attachment` removes the record
and, once that is committed, the file. Both write an audit entry. A refused
file raises `RegisterError` on the field "file" and nothing is stored.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit
from pacta.core.actions.register import RegisterError
from pacta.core.models import Agreement, AgreementVersion, Attachment
from pacta.lib import uploads

DESCRIPTION_LENGTH = Attachment._meta.get_field("description").max_length


def max_attachment_bytes() -> int:
    """The largest attachment taken (0: no limit)."""
    return int(getattr(settings, "PACTA_MAX_ATTACHMENT_BYTES", 0) or 0)


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for block in iter(lambda: file.read(1 << 20), b""):
        digest.update(block)
    file.seek(0)
    return digest.hexdigest()


def _size(file) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def check_attachment_file(file, name: str) -> tuple[str, uploads.FileKind]:
    """The safe display name and the kind of an upload, or RegisterError on "file"."""
    shown = uploads.display_name(name)
    limit, size = max_attachment_bytes(), _size(file)
    if limit and size > limit:
        raise RegisterError({"file": [uploads.too_large_message(shown, size, limit)]})
    try:
        return shown, uploads.check_attachment(file, shown)
    except uploads.UploadRefused as exc:
        raise RegisterError({"file": [exc.message]}) from None


@transaction.atomic
def do_add_attachment(
    agreement: Agreement, file, *, acting_user, name: str | None = None, description: str = "",
    version: AgreementVersion | None = None,
) -> Attachment:
    """Keep `file` (a binary file object, e.g. an upload) with `agreement`, or with one of its versions.

    `name` is the uploader's file name (default: the file's own); only its
    safe form is kept, to show and to offer as the download's name.
    """
    errors: dict[str, list[str]] = {}
    if version is not None and version.agreement_id != agreement.pk:
        errors["version"] = [_("Version %(number)s is not a version of %(ref)s.")
                             % {"number": version.number, "ref": agreement.reference}]
    description = (description or "").strip()
    if len(description) > DESCRIPTION_LENGTH:
        errors["description"] = [_("At most %(limit)s characters.") % {"limit": DESCRIPTION_LENGTH}]
    if "\x00" in description:
        errors["description"] = [_("Text cannot contain the NUL character (\\u0000).")]
    if errors:
        raise RegisterError(errors)
    shown, kind = check_attachment_file(file, name or getattr(file, "name", "") or "")
    if not isinstance(file, File):
        file = File(file, name=shown)
    attachment = Attachment(
        agreement=agreement, version=version, name=shown, size=_size(file), sha256=_sha256(file),
        content_type=uploads.content_type_for(kind, file), description=description,
        uploaded_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    attachment.file.save(shown, file, save=False)  # the name is attachment_path's, not the uploader's
    try:
        attachment.save()
        audit(acting_user, "add_attachment", attachment, agreement=agreement, party=agreement.party,
              changes={"name": shown, "version": version.number if version else None, "size": attachment.size,
                       "sha256": attachment.sha256})
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def do_remove_attachment(attachment: Attachment, *, acting_user) -> None:
    """Forget the attachment; its file is deleted once the removal is committed."""
    agreement = attachment.agreement
    audit(acting_user, "remove_attachment", attachment, agreement=agreement, party=agreement.party,
          changes={"name": attachment.name, "version": attachment.version.number if attachment.version else None,
                   "size": attachment.size, "sha256": attachment.sha256})
    attachment.delete()  # the file follows once this is committed (pacta.core.signals)


__all__ = ["check_attachment_file", "do_add_attachment", "do_remove_attachment", "max_attachment_bytes"]
