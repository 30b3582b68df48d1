"""`pacta backup FILE`: the database and the uploaded files in one archive.

    pacta backup pacta-2025-03-10.tar.gz

Safe while pacta runs (SQLite's online backup API; `pg_dump` for PostgreSQL,
which must be on PATH). FILE is replaced only once the archive is complete.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from pacta.core.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive to write (tar.gz).")

    def handle(self, *args, **options):
        try:
            manifest = make_backup(options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        count = len(manifest["files"]) - 1  # the database's file is not an uploaded one
        self.stdout.write(ngettext("Backed up the %(engine)s database and %(count)d file to %(file)s.",
                                   "Backed up the %(engine)s database and %(count)d files to %(file)s.", count)
                          % {"engine": manifest["engine"], "count": count, "file": options["file"]})
