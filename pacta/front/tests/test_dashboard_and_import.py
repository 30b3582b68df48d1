"""The simple dashboard (counts that link to their lists) and the import page."""

from django.urls import reverse
from django.utils import timezone

from pacta.core.actions.register import CommitmentData, do_save_commitment
from pacta.core.models import Commitment, ImportBatch


def test_the_dashboard_counts_and_links_to_the_lists(world, as_user):
    response = as_user("vera").get(reverse("front:dashboard"))
    assert response.context["parties"] == {"all": 1, "customers": 1, "suppliers": 0}
    assert ("draft", "draft", 1) in [(c, str(label), n) for c, label, n in response.context["agreement_counts"]]
    assert response.context["not_evaluated"] == 1
    assert reverse("front:agreements") + "?status=draft" in response.text


def test_an_empty_register_says_where_to_start(db, as_user):
    text = as_user("mona").get(reverse("front:dashboard")).text
    assert "The register is empty." in text
    assert reverse("front:party_create") in text


def test_the_import_page_lists_the_recent_imports(db, as_user, users):
    ImportBatch.objects.create(kind="events", source="erp", filename="orders.csv", rows=1200, created=1190,
                               unchanged=10, user=users["mona"])
    text = as_user("vera").get(reverse("front:import")).text
    assert "orders.csv" in text
    assert "1,200" in text and "1,190" in text


def test_the_import_page_without_imports_says_how_to_import(db, as_user):
    assert "No imports yet." in as_user("vera").get(reverse("front:import")).text
