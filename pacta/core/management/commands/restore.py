"""`pacta restore FILE`: bring a backup made by `pacta backup` back.

    pacta restore pacta-2025-03-10.tar.gz [--force]

Into an empty database only (a new one after `pacta migrate` is empty) unless
--force, which replaces what is there. Stop the web processes and the watcher
first; run `pacta migrate` afterwards when the backup is from an older pacta.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pacta.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `pacta backup` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive made by pacta backup.")
        parser.add_argument("--force", action="store_true",
                            help="Replace the data of a database that is not empty.")

    def handle(self, *args, **options):
        try:
            manifest = restore_backup(options["file"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("Restored the backup of %(time)s (pacta %(version)s). Run `pacta migrate` if this "
                            "pacta is newer.") % {"time": manifest["created_at"], "version": manifest["pacta"]})
