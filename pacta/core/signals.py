"""Files follow their records: an attachment's file is deleted once the deletion of its row is
committed, however the row went (do_remove_attachment, or an agreement deleted in the admin,
which takes its attachments with it). A rolled-back deletion keeps the file."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from pacta.core.models import Attachment


@receiver(post_delete, sender=Attachment, dispatch_uid="pacta.core.attachment_file")
def delete_attachment_file(sender, instance: Attachment, using, **kwargs) -> None:
    stored, storage = instance.file.name, instance.file.storage
    if stored:
        transaction.on_commit(lambda: storage.delete(stored), using=using)
