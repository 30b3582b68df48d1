"""Parties, agreements (with versions, in JSON and as YAML files) and commitments through the API:
the same do_* writes as the web pages, the same refusals."""

from pacta.core.models import Agreement, AgreementVersion, AuditEntry, Commitment, Party

NEW_AGREEMENT = {
    "reference": "ALFKI-2026", "party": "ALFKI", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
    "timezone": "Europe/Berlin", "status": "draft", "glossary": {"delivered": "at the customer's dock"},
    "commitments": [{"key": "pay", "type": "payment_term", "title": "Invoices paid within 30 days",
                     "params": {"days": 30}, "owner": "olav"}],
}


def test_a_party_is_created_and_changed_with_the_audit_trail(api_client, tokens, world):
    client = api_client(tokens["mona"])
    created = client.post("/parties", {"code": "BERGS", "name": "Berglunds snabbköp", "country": "SE",
                                      "spoc": "olav"})
    assert created.status_code == 201 and created.json()["spoc"] == "olav"
    changed = client.patch("/parties/BERGS", {"city": "Luleå", "revision": created.json()["revision"]})
    assert changed.json()["city"] == "Luleå"
    assert list(AuditEntry.objects.filter(party__code="BERGS").values_list("action", flat=True)) == [
        "change_party", "create_party"]


def test_a_stale_revision_is_a_409_and_nothing_changes(api_client, tokens, world):
    client = api_client(tokens["mona"])
    response = client.patch("/parties/ALFKI", {"city": "Berlin", "revision": 99})
    assert response.status_code == 409
    assert Party.objects.get(code="ALFKI").city == ""


def test_an_unknown_user_is_refused_on_its_field(api_client, tokens, world):
    response = api_client(tokens["mona"]).patch("/parties/ALFKI", {"deputy": "ghost"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "deputy"


def test_an_agreement_is_created_with_its_commitments_and_read_back(api_client, tokens, world):
    client = api_client(tokens["admin"])
    response = client.post("/agreements", NEW_AGREEMENT)
    assert response.status_code == 201
    body = response.json()
    assert body["glossary"] == {"delivered": "at the customer's dock"}
    assert [(c["key"], c["title"], c["status"]) for c in body["commitments"]] == [
        ("pay", "Invoices paid within 30 days", None)]
    assert [v["number"] for v in body["versions"]] == [1]
    commitment = client.get("/commitments/ALFKI-2026/pay").json()
    assert (commitment["params"], commitment["owner"], commitment["verdict"]["status"]) == ({"days": 30}, "olav", None)


def test_bad_parameters_are_refused_with_their_path(api_client, tokens, world):
    bad = {**NEW_AGREEMENT, "commitments": [{**NEW_AGREEMENT["commitments"][0], "params": {"days": -3}}]}
    response = api_client(tokens["admin"]).post("/agreements", bad)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("commitments.pay.params")
    assert not Agreement.objects.filter(reference="ALFKI-2026").exists()


def test_changing_the_terms_of_an_agreement_in_force_needs_an_amendment(api_client, tokens, world):
    client = api_client(tokens["mona"])
    change = {"type": "volume_commitment", "title": "At least 12,000 units a quarter",
              "params": {"period": "quarter", "minimum": "12000"}}
    refused = client.put("/agreements/ALFKI-2025/commitments/volume", change)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "amendment"
    amended = client.put("/agreements/ALFKI-2025/commitments/volume", {**change, "amendment": {
        "effective_from": "2025-07-01", "summary": "Minimum raised", "agreed_by": "Maria Anders"}})
    assert amended.status_code == 200 and amended.json()["params"]["minimum"] == "12000"
    versions = client.get("/agreements/ALFKI-2025/versions").json()
    assert [(v["number"], v["summary"]) for v in versions] == [(1, "First version."), (2, "Minimum raised")]
    snapshot = client.get("/agreements/ALFKI-2025/versions/1").json()["snapshot"]
    assert next(c for c in snapshot["commitments"] if c["id"] == "volume")["minimum"] == "10000"


def test_operational_fields_change_without_a_version(api_client, tokens, world):
    response = api_client(tokens["mona"]).patch("/commitments/ALFKI-2025/call-ahead",
                                                {"how": "on the route sheet", "owner": "nina"})
    assert (response.json()["how"], response.json()["owner"]) == ("on the route sheet", "nina")
    assert AgreementVersion.objects.filter(agreement=world.agreement).count() == 1


def test_the_agreement_file_goes_out_and_comes_back_unchanged(api_client, tokens, world):
    client = api_client(tokens["mona"])
    exported = client.get("/agreements/ALFKI-2025/yaml")
    assert exported["Content-Type"].startswith("application/yaml")
    again = client.post("/agreements/import", raw=exported.content, content_type="application/yaml")
    assert again.json() == {"created": [], "updated": [], "unchanged": ["ALFKI-2025"], "parties_created": [],
                            "dry_run": False}


def test_an_agreement_file_creates_agreements_and_a_dry_run_stores_nothing(api_client, tokens, world):
    text = (
        "agreements:\n  - id: BLONP-2025\n    party: BLONP\n    party_name: Blondel père et fils\n"
        "    role: customer\n    currency: EUR\n    timezone: Europe/Paris\n    valid_from: 2025-01-01\n"
        "    commitments:\n      - id: pay\n        type: payment_term\n        title: Paid within 30 days\n"
        "        days: 30\n")
    client = api_client(tokens["mona"])
    dry = client.post("/agreements/import", raw=text.encode(), content_type="application/yaml",
                      query={"dry_run": "true"})
    assert dry.json()["created"] == ["BLONP-2025"] and not Agreement.objects.filter(reference="BLONP-2025").exists()
    stored = client.post("/agreements/import", raw=text.encode(), content_type="application/yaml")
    assert stored.json()["parties_created"] == ["BLONP"]
    assert Commitment.objects.filter(agreement__reference="BLONP-2025", key="pay").exists()


def test_a_bad_agreement_file_is_refused_with_its_lines(api_client, tokens, world):
    text = "agreements:\n  - id: X\n    party: ALFKI\n    role: customer\n    currency: euro\n"
    response = api_client(tokens["mona"]).post("/agreements/import", raw=text.encode(),
                                               content_type="application/yaml")
    assert response.status_code == 422
    assert ("currency", 5) in {(e["field"], e["line"]) for e in response.json()["errors"]}


def test_a_member_may_not_import_over_an_agreement_they_do_not_own(api_client, tokens, world):
    world.party.deputy = None  # Nina deputised for ALFKI; now she answers for nothing in it
    world.party.save()
    exported = api_client(tokens["read"]).get("/agreements/ALFKI-2025/yaml").content
    response = api_client(tokens["nina_admin"]).post("/agreements/import", raw=exported,
                                                     content_type="application/yaml")
    assert response.status_code == 403


def test_lists_filter_like_the_web_pages_and_page(api_client, tokens, world):
    client = api_client(tokens["read"])
    assert [c["key"] for c in client.get("/commitments", query={"type": "volume_commitment"}).json()["items"]] == [
        "volume"]
    page = client.get("/commitments", query={"limit": "1", "offset": "1"}).json()
    assert (page["count"], [c["key"] for c in page["items"]]) == (2, ["volume"])
    assert client.get("/agreements", query={"status": "draft"}).json()["count"] == 0
