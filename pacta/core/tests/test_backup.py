"""`pacta backup` and `pacta restore` (pacta.core.backup): a backup of the stored
world comes back whole into an empty database, with its attachments; archives
cut short or altered are refused; full disks and closed folders say so."""

import datetime as dt
import errno
import gzip
import hashlib
import json
import shutil
import tarfile

import polars as pl
import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from pacta.core import backup
from pacta.core.actions.attachments import do_add_attachment
from pacta.core.actions.events import do_import_events
from pacta.core.actions.register import CommitmentData, VersionInfo, do_amend_agreement, do_create_agreement, do_create_party
from pacta.core.actions.watch import do_open_action
from pacta.core.backup import BackupError, make_backup, read_backup, restore_backup
from pacta.core.imports import read_event_records
from pacta.core.models import Action, Agreement, AgreementVersion, Attachment, AuditEntry, Commitment, Event, Party
from pacta.core.tests.stored_world import run_command
from pacta.lib.tests import samples

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "amendments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "amendments" / "ALFKI-2025-v2.pdf").write_bytes(b"%PDF-1.4 signed amendment")
    return settings.MEDIA_ROOT


@pytest.fixture
def stored(users, media):
    """Parties, an agreement in two versions with a commitment, events, an action and their audit entries."""
    with time_machine.travel(NOW, tick=False):
        party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste", country="DE",
                                spoc=users["olav"])
        do_create_party(acting_user=users["mona"], code="EXOT", name="Exotic Liquids", country="GB")
        agreement = do_create_agreement(
            acting_user=users["mona"], party=party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", status="in_force",
            commitments=[CommitmentData(key="call-ahead", type="notice_before_delivery", title="Call ahead",
                                        params={"min_before": "PT1H"})])
        do_amend_agreement(agreement, acting_user=users["mona"], expected_revision=agreement.revision,
                           amendment=VersionInfo(effective_from=dt.date(2025, 3, 1), summary="Two hours' notice"),
                           commitments=[CommitmentData(key="call-ahead", type="notice_before_delivery",
                                                       title="Call ahead", params={"min_before": "PT2H"})])
        frame = read_event_records([
            {"id": "o-10248", "kind": "order", "party": "ALFKI", "at": "2025-03-03", "ref": "10248", "quantity": "12"},
            {"id": "d-10248", "kind": "delivery", "party": "ALFKI", "at": "2025-03-05T10:00:00+01:00", "ref": "10248"},
        ], known_parties={"ALFKI", "EXOT"})
        do_import_events(frame, source="erp", acting_user=users["mona"])
        do_open_action(agreement.commitments.get(), acting_user=users["olav"], instance_key="10248",
                       title="Ask the driver to call")
    return agreement


def snapshot() -> dict:
    """Every row of pacta's own tables, by model."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for label in backup.DATA_APPS for model in apps.get_app_config(label).get_models()}


def test_the_world_comes_back_whole_into_an_empty_database(stored, media, tmp_path, users):
    signed = samples.pdf("Amendment 2, signed by both")
    attachment = do_add_attachment(stored, SimpleUploadedFile("Amendment 2 signed.pdf", signed),
                                   acting_user=users["mona"], version=stored.versions.get(number=2),
                                   description="signed")
    before = snapshot()
    assert (Party.objects.count(), Agreement.objects.count(), AgreementVersion.objects.count(),
            Commitment.objects.count(), Event.objects.count(), Action.objects.count()) == (2, 1, 2, 1, 2, 1)
    assert AuditEntry.objects.count() >= 5
    archive = tmp_path / "pacta.tar.gz"
    manifest = make_backup(archive)
    assert manifest["engine"] == connection.vendor
    assert "core.0001_initial" in manifest["migrations"]
    assert "media/amendments/ALFKI-2025-v2.pdf" in manifest["files"]
    assert manifest["files"]["media/" + attachment.file.name] == hashlib.sha256(signed).hexdigest()

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media)
    assert Party.objects.count() == 0 and backup.database_is_empty()

    restore_backup(archive)
    assert snapshot() == before
    assert (media / "amendments" / "ALFKI-2025-v2.pdf").read_bytes() == b"%PDF-1.4 signed amendment"
    assert Agreement.objects.get().versions.count() == 2
    restored = Attachment.objects.get()
    assert (restored.name, restored.version.number, restored.sha256) == (
        "Amendment 2 signed.pdf", 2, hashlib.sha256(signed).hexdigest())
    with restored.file.open("rb") as file:
        assert file.read() == signed


def test_a_database_with_data_is_refused_unless_forced(stored, tmp_path):
    archive = tmp_path / "pacta.tar.gz"
    make_backup(archive)
    Party.objects.filter(code="EXOT").delete()
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(archive)
    assert not Party.objects.filter(code="EXOT").exists()
    restore_backup(archive, force=True)
    assert set(Party.objects.values_list("code", flat=True)) == {"ALFKI", "EXOT"}


def test_the_commands_back_up_and_restore(stored, tmp_path):
    archive = tmp_path / "pacta.tar.gz"
    with time_machine.travel(NOW, tick=False):
        code, out, err = run_command("backup", str(archive))
    assert code == 0 and "database and 1 file to" in out, err
    code, out, err = run_command("restore", str(archive))
    assert code == 1 and "already holds data" in err
    call_command("flush", interactive=False, verbosity=0)
    code, out, err = run_command("restore", str(archive))
    assert code == 0 and "Restored the backup of 2025-03-10" in out, err
    assert Party.objects.count() == 2


def test_an_archive_cut_short_is_refused(stored, tmp_path):
    archive = tmp_path / "pacta.tar.gz"
    make_backup(archive)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match="cut short or damaged"):
        restore_backup(archive)
    assert backup.database_is_empty()  # nothing was touched


def test_an_altered_file_fails_its_checksum(stored, tmp_path):
    archive = tmp_path / "pacta.tar.gz"
    make_backup(archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "media" / "amendments" / "ALFKI-2025-v2.pdf").write_bytes(b"forged")
    with tarfile.open(archive, "w:gz") as tar:
        for name in ["media", backup.MANIFEST]:
            tar.add(unpacked / name, name)
        tar.add(unpacked / backup.DB_FILES[connection.vendor], backup.DB_FILES[connection.vendor])
    with pytest.raises(BackupError, match="ALFKI-2025-v2.pdf does not match its checksum"):
        read_backup(archive, tmp_path / "check")


def test_a_backup_of_a_newer_pacta_is_refused(stored, tmp_path):
    archive = tmp_path / "pacta.tar.gz"
    make_backup(archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    manifest = json.loads((unpacked / backup.MANIFEST).read_text())
    manifest["migrations"].append("core.9999_from_the_future")
    manifest["pacta"] = "9.0"
    (unpacked / backup.MANIFEST).write_text(json.dumps(manifest))
    with tarfile.open(archive, "w:gz") as tar:
        for child in unpacked.iterdir():
            tar.add(child, child.name)
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match=r"newer pacta \(9.0\): upgrade pacta first"):
        restore_backup(archive)


def test_a_file_that_is_no_backup_is_refused(db, tmp_path):
    plain = tmp_path / "notes.tar.gz"
    plain.write_bytes(gzip.compress(b"just some text"))
    with pytest.raises(BackupError, match="not a complete pacta backup"):
        restore_backup(plain)
    with pytest.raises(BackupError, match="There is no backup at"):
        restore_backup(tmp_path / "missing.tar.gz")


def test_a_full_disk_is_told_and_leaves_no_half_archive(stored, tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "addfile", disk_full)
    archive = tmp_path / "pacta.tar.gz"
    with pytest.raises(BackupError, match="The disk is full"):
        make_backup(archive)
    assert list(tmp_path.iterdir()) == [tmp_path / "media"]  # no archive, no leftovers


def test_a_folder_pacta_may_not_write_is_told(stored, tmp_path):
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0o500)
    try:
        if (closed / "probe").touch() is None and (closed / "probe").exists():
            pytest.skip("this user (root) writes anywhere; the permission check needs an ordinary user")
    except PermissionError:
        pass
    finally:
        closed.chmod(0o700)
        (closed / "probe").unlink(missing_ok=True)
    closed.chmod(0o500)
    try:
        with pytest.raises(BackupError, match="No permission to write"):
            make_backup(closed / "pacta.tar.gz")
    finally:
        closed.chmod(0o700)


def test_a_permission_error_is_told_even_for_root(stored, tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(backup.tempfile, "TemporaryDirectory", refused)
    code, out, err = run_command("backup", str(tmp_path / "pacta.tar.gz"))
    assert code == 1 and "No permission to write" in err
