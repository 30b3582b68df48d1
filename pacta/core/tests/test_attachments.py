"""Attachments of agreements (pacta.core.actions.attachments): a checked file is stored under a name
pacta chooses, with its facts and an audit entry; a refused one leaves nothing behind."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pacta.core.actions import attachments as actions
from pacta.core.actions.attachments import do_add_attachment, do_remove_attachment
from pacta.core.actions.register import RegisterError, VersionInfo, do_amend_agreement, do_create_agreement
from pacta.core.models import Attachment, AuditEntry
from pacta.core.tests.watch_world import world  # noqa: F401  (the fixture)
from pacta.lib.tests import samples


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_a_file_is_stored_under_a_name_pacta_chooses_with_its_facts(world, media):  # noqa: F811
    data = samples.pdf()
    attachment = do_add_attachment(world.agreement, upload(data, "../../Amendment\u202e 2.pdf"),
                                   acting_user=world.olav, description="  Signed by Maria Anders  ")
    attachment.refresh_from_db()
    assert attachment.name == "Amendment 2.pdf"
    assert (attachment.size, attachment.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (attachment.content_type, attachment.description) == ("application/pdf", "Signed by Maria Anders")
    assert attachment.uploaded_by == world.olav and attachment.version is None
    folder, year, stored = attachment.file.name.split("/")
    assert (folder, year) == ("attachments", str(attachment.uploaded_at.year))
    assert len(stored) == 36 and stored.endswith(".pdf") and "Amendment" not in stored
    assert stored_files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == data
    entry = AuditEntry.objects.get(action="add_attachment")
    assert (entry.user, entry.agreement, entry.party) == (world.olav, world.agreement, world.party)
    assert entry.changes == {"name": "Amendment 2.pdf", "version": None, "size": len(data),
                             "sha256": attachment.sha256}


def test_a_signed_amendment_belongs_to_its_version(world):  # noqa: F811
    agreement = world.agreement
    do_amend_agreement(agreement, acting_user=world.mona, expected_revision=agreement.revision,
                       amendment=VersionInfo(effective_from=dt.date(2025, 4, 1), summary="Two hours' notice",
                                             agreed_how="signed"))
    version = agreement.versions.get(number=2)
    attachment = do_add_attachment(agreement, upload(samples.pdf(), "v2 signed.pdf"), acting_user=world.mona,
                                   version=version)
    assert list(version.attachments.all()) == [attachment]
    assert AuditEntry.objects.get(action="add_attachment").changes["version"] == 2


def test_a_version_of_another_agreement_is_refused(world, media):  # noqa: F811
    other = do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2026",
                                valid_from=dt.date(2026, 1, 1))
    with pytest.raises(RegisterError) as caught:
        do_add_attachment(world.agreement, upload(samples.pdf(), "a.pdf"), acting_user=world.mona,
                          version=other.versions.get())
    assert "version" in caught.value.errors
    assert not Attachment.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("data", "name", "words"), [
    (samples.EXECUTABLE, "contract.pdf", "a program or script"),
    (samples.HTML, "notes.txt", "a web page"),
    (samples.cut(samples.pdf()), "Amendment 2.pdf", "the file is incomplete"),
    (samples.cut(samples.docx()), "amendment.docx", "the file is incomplete"),
    (samples.png(), "contract.pdf", "is not PDF"),
    (b"plain", "notes.md", "files of type .md are not taken"),
])
def test_a_refused_file_leaves_nothing_behind(world, media, data, name, words):  # noqa: F811
    with pytest.raises(RegisterError) as caught:
        do_add_attachment(world.agreement, upload(data, name), acting_user=world.olav)
    assert words in caught.value.errors["file"][0]
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action="add_attachment").exists()
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused_with_the_limit(world, media, settings):  # noqa: F811
    settings.PACTA_MAX_ATTACHMENT_BYTES = 100
    with pytest.raises(RegisterError) as caught:
        do_add_attachment(world.agreement, upload(samples.pdf(), "a.pdf"), acting_user=world.olav)
    assert "the largest file taken here is 100\xa0bytes" in caught.value.errors["file"][0]
    assert stored_files(media) == []


def test_a_plain_file_object_is_taken_too(world, media):  # noqa: F811
    attachment = do_add_attachment(world.agreement, io.BytesIO(samples.eml()), name="Re: window.eml",
                                   acting_user=world.olav)
    assert (attachment.name, attachment.content_type) == ("Re: window.eml", "message/rfc822")
    assert (media / attachment.file.name).read_bytes() == samples.eml()


def test_two_files_of_the_same_name_are_both_kept(world, media):  # noqa: F811
    first = do_add_attachment(world.agreement, upload(samples.pdf("one"), "scan.pdf"), acting_user=world.olav)
    second = do_add_attachment(world.agreement, upload(samples.pdf("two"), "scan.pdf"), acting_user=world.olav)
    assert first.file.name != second.file.name
    assert len(stored_files(media)) == 2


def test_when_the_record_cannot_be_written_the_file_goes_too(world, media, monkeypatch):  # noqa: F811
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(actions, "audit", broken)
    with pytest.raises(RuntimeError):
        do_add_attachment(world.agreement, upload(samples.pdf(), "a.pdf"), acting_user=world.olav)
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_removing_forgets_the_record_and_then_the_file(world, media, django_capture_on_commit_callbacks):  # noqa: F811
    attachment = do_add_attachment(world.agreement, upload(samples.png(), "scan.png"), acting_user=world.olav)
    path = media / attachment.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        do_remove_attachment(attachment, acting_user=world.mona)
    assert not Attachment.objects.exists()
    assert path.exists()  # not before the removal is committed
    for callback in callbacks:
        callback()
    assert not path.exists()
    entry = AuditEntry.objects.get(action="remove_attachment")
    assert (entry.user, entry.agreement, entry.changes["name"]) == (world.mona, world.agreement, "scan.png")


def test_an_agreement_deleted_in_the_admin_takes_its_attachment_files_along(
        world, media, django_capture_on_commit_callbacks):  # noqa: F811
    attachment = do_add_attachment(world.agreement, upload(samples.pdf(), "signed.pdf"), acting_user=world.olav)
    path = media / attachment.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.agreement.delete()  # what the admin's delete does: the attachments go by cascade
    assert not Attachment.objects.exists()
    assert path.exists()  # not before the deletion is committed
    for callback in callbacks:
        callback()
    assert not path.exists()


def test_a_deletion_rolled_back_keeps_the_file(world, media, django_capture_on_commit_callbacks):  # noqa: F811
    from django.db import transaction

    attachment = do_add_attachment(world.agreement, upload(samples.png(), "scan.png"), acting_user=world.olav)
    path, pk = media / attachment.file.name, attachment.pk
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                attachment.delete()
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
    assert Attachment.objects.filter(pk=pk).exists() and path.exists()
