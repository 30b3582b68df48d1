"""The Django admin: the administrators' fallback for every core model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from pacta.core import models


@pytest.mark.parametrize("model", [
    models.Party, models.Agreement, models.AgreementVersion, models.Commitment, models.Event, models.Instance,
    models.Waiver, models.Pause, models.ColumnMapping, models.ImportBatch, models.AuditEntry, models.Deviation,
    models.Action, models.Absence, models.OutboundMail, models.CalendarToken, models.Intake, models.Product,
    models.CoverageLink, models.StatusUpdate, models.CheckIn, models.AuditReport, models.Attachment,
])
def test_the_admin_lists_every_core_model(world, as_user, model):
    assert admin.site.is_registered(model)
    url = reverse(f"admin:core_{model._meta.model_name}_changelist")
    assert as_user("admin").get(url).status_code == 200


def test_the_agreement_admin_shows_its_glossary_notes_and_versions(world, as_user):
    response = as_user("admin").get(reverse("admin:core_agreement_change", args=[world.agreement.pk]))
    assert response.status_code == 200
    assert "at the customer&#x27;s dock" in response.text
    assert "First version." in response.text


def test_the_audit_log_is_read_only_in_the_admin(world, as_user):
    entry = models.AuditEntry.objects.first()
    client = as_user("admin")
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    response = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert models.AuditEntry.objects.filter(pk=entry.pk).exists()
