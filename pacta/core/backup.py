"""Backups: one archive with the database, the uploaded files and a manifest.

    make_backup(path) -> manifest          a consistent copy while pacta runs
    restore_backup(path, force=False) -> manifest

The archive is a tar.gz holding `db.sqlite3` (SQLite's online backup API) or
`db.dump` (`pg_dump -Fc`), the `media/` folder (MEDIA_ROOT: attachments), and
`manifest.json` last: pacta's version, the database engine, the applied
migrations, the time and a SHA-256 of every file. An archive that is cut short
or altered fails its checks and is refused before anything is touched.

Restoring needs an empty database (no rows in pacta's tables; `pacta migrate`
on a new database is fine) unless `force`. SQLite is restored through the
backup API into the open database: one write transaction, so all or nothing,
and no stale `-wal` file can creep in as it would when swapping files.
PostgreSQL is restored with `pg_restore --single-transaction --clean`.
Every failure is a `BackupError` whose message says what to do.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

import pacta

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DB_FILES = {"sqlite": "db.sqlite3", "postgresql": "db.dump"}
# The apps whose tables must be empty before a restore.
DATA_APPS = ("accounts", "core")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator."""


# --- backing up


def make_backup(path: Path | str, *, using: str = "default") -> dict:
    """Write a backup archive to `path` (replaced only once complete); return its manifest."""
    path = Path(path)
    engine = _engine(using)
    with _os_errors(path), tempfile.TemporaryDirectory(dir=path.parent, prefix=".pacta-backup-") as work:
        work = Path(work)
        db_file = work / DB_FILES[engine]
        if engine == "sqlite":
            _sqlite_copy(using, db_file)
        else:
            _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(db_file)], using)
        manifest = {
            "format": FORMAT, "pacta": pacta.__version__, "engine": engine,
            "created_at": timezone.now().isoformat(), "migrations": _applied_migrations(using),
            "files": {DB_FILES[engine]: _sha256(db_file)},
        }
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(db_file, DB_FILES[engine])
            for file in _media_files():
                name = f"{MEDIA}/{file.relative_to(settings.MEDIA_ROOT).as_posix()}"
                manifest["files"][name] = _sha256(file)
                archive.add(file, name)
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
        with open(partial, "rb") as done:
            os.fsync(done.fileno())
        os.replace(partial, path)
    return manifest


def _sqlite_copy(using: str, target: Path) -> None:
    """Copy the open SQLite database with the online backup API (consistent while others write)."""
    connection = connections[using]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


# --- restoring


def read_backup(path: Path | str, into: Path) -> dict:
    """Unpack the archive at `path` into the folder `into` and check it; return its manifest."""
    path = Path(path)
    try:
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(into, filter="data")  # refuses absolute paths and "../"
    except FileNotFoundError:
        raise BackupError(_("There is no backup at %(path)s.") % {"path": path}) from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
            raise BackupError(_("No permission to read %(path)s.") % {"path": path}) from None
        raise BackupError(_("%(path)s is not a complete pacta backup: the archive is cut short or damaged.")
                          % {"path": path}) from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(_("%(path)s is not a pacta backup: it has no manifest.") % {"path": path}) from None
    for name, digest in files.items():
        file = into / name
        if not file.is_file() or _sha256(file) != digest:
            raise BackupError(_("%(path)s is damaged: %(name)s does not match its checksum.")
                              % {"path": path, "name": name})
    return manifest


def restore_backup(path: Path | str, *, force: bool = False, using: str = "default") -> dict:
    """Bring the backup at `path` back into the database and MEDIA_ROOT; return its manifest.

    Refuses a database that holds data unless `force`, a backup of another
    database engine, and one made by a newer pacta (unknown migrations)."""
    engine = _engine(using)
    with tempfile.TemporaryDirectory(prefix="pacta-restore-") as work:
        work = Path(work)
        manifest = read_backup(path, work)
        if manifest.get("engine") != engine:
            raise BackupError(_("This backup is of a %(theirs)s database; this pacta uses %(ours)s.")
                              % {"theirs": manifest.get("engine"), "ours": engine})
        unknown = sorted(set(manifest.get("migrations", [])) - _known_migrations())
        if unknown:
            raise BackupError(_("This backup was made by a newer pacta (%(version)s): upgrade pacta first.")
                              % {"version": manifest.get("pacta")})
        if not force and not database_is_empty(using):
            raise BackupError(_("The database already holds data. Restore into an empty database, "
                                "or pass --force to replace what is there."))
        db_file = work / DB_FILES[engine]
        if engine == "sqlite":
            _sqlite_restore(db_file, using)
        else:
            connections[using].close()
            _run(["pg_restore", "--single-transaction", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--exit-on-error", "--dbname", connections[using].settings_dict["NAME"], str(db_file)], using)
        if (work / MEDIA).is_dir():
            with _os_errors(Path(settings.MEDIA_ROOT)):
                shutil.copytree(work / MEDIA, settings.MEDIA_ROOT, dirs_exist_ok=True)
    return manifest


def database_is_empty(using: str = "default") -> bool:
    """True when no table of pacta's own holds a row (a fresh `pacta migrate` is empty)."""
    tables = set(connections[using].introspection.table_names())
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.db_table in tables and model._default_manager.using(using).exists():
                return False
    return True


def _sqlite_restore(db_file: Path, using: str) -> None:
    source = sqlite3.connect(db_file)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(_("The database in this backup is damaged."))
        connection = connections[using]
        connection.ensure_connection()
        # One write transaction on the target: all of the backup, or nothing.
        source.backup(connection.connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("The database could not be restored: %(reason)s") % {"reason": exc}) from None
    finally:
        source.close()


# --- shared


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in DB_FILES:
        raise BackupError(_("pacta backs up SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    return vendor


def _applied_migrations(using: str) -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connections[using]).applied_migrations())


def _known_migrations() -> set[str]:
    return {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(argv: list[str], using: str) -> None:
    """Run a PostgreSQL client program against the database `using`."""
    if shutil.which(argv[0]) is None:
        raise BackupError(_("%(program)s is not installed: install PostgreSQL's client programs.")
                          % {"program": argv[0]})
    params = connections[using].settings_dict
    env = dict(os.environ, PGDATABASE=params["NAME"])
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if params.get(key):
            env[variable] = str(params[key])
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(_("%(program)s failed: %(reason)s") % {"program": argv[0], "reason": done.stderr.strip()})


class _os_errors:
    """Turn disk-full and permission errors while writing at `path` into clear BackupErrors."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if not isinstance(exc, OSError):
            return False
        if exc.errno == errno.ENOSPC:
            raise BackupError(_("The disk is full: %(path)s could not be written. Free some space and try again.")
                              % {"path": self.path}) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise BackupError(_("No permission to write %(path)s: choose a folder pacta may write to.")
                              % {"path": self.path}) from None
        if exc.errno == errno.ENOENT:
            raise BackupError(_("The folder of %(path)s does not exist.") % {"path": self.path}) from None
        return False

