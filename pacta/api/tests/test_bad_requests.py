"""Bad JSON, wrong types, unknown fields, oversize bodies and wrong content types get a 4xx with a clear
message, never a 500."""

import pytest

from pacta.core.models import Party


def test_bad_json_is_a_400_that_says_where(api_client, tokens, world):
    response = api_client(tokens["admin"]).post("/parties", raw=b'{"code": "X",', content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"] and "line 1" in response.json()["detail"]


def test_nan_is_not_json(api_client, tokens, world):
    body = b'{"events": [{"id": "1", "kind": "invoice", "party": "ALFKI", "at": "2025-01-01", "quantity": NaN}]}'
    assert api_client(tokens["events"]).post("/events", raw=body).status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv"])
def test_a_body_in_another_content_type_is_a_415(api_client, tokens, world, content_type):
    response = api_client(tokens["admin"]).post("/parties", raw=b'{"code": "X", "name": "X"}',
                                               content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert not Party.objects.filter(code="X").exists()


def test_an_agreement_file_must_come_as_yaml(api_client, tokens, world):
    response = api_client(tokens["mona"]).post("/agreements/import", raw=b"agreements: []",
                                              content_type="application/json")
    assert response.status_code == 415 and "application/yaml" in response.json()["detail"]


def test_unknown_fields_are_refused_not_ignored(api_client, tokens, world):
    response = api_client(tokens["admin"]).patch("/parties/ALFKI", {"name": "A", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "Unknown field."}]


def test_wrong_types_are_a_422_naming_the_field(api_client, tokens, world):
    response = api_client(tokens["admin"]).patch("/parties/ALFKI", {"is_customer": "perhaps", "revision": "x"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"is_customer", "revision"}


def test_wrong_query_values_are_a_422(api_client, tokens, world):
    client = api_client(tokens["read"])
    assert client.get("/parties", query={"limit": "0"}).status_code == 422
    assert client.get("/commitments", query={"status": "sleeping"}).status_code == 422
    assert client.get("/events", query={"since": "yesterday"}).status_code == 422


def test_a_filter_by_a_name_nobody_has_finds_nothing(api_client, tokens, world):
    response = api_client(tokens["read"]).get("/commitments", query={"owner": "ghost"})
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_a_nul_character_is_refused_before_it_reaches_the_database(api_client, tokens, world):
    client = api_client(tokens["admin"])
    assert client.post("/parties", {"code": "X\u0000", "name": "X"}).status_code == 400
    assert client.get("/parties", query={"q": "\x00"}).status_code == 400
    assert not Party.objects.filter(code__startswith="X").exists()


def test_a_body_over_the_upload_limit_is_a_413(api_client, tokens, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client(tokens["events"]).post("/events", raw=b'{"events": [' + b" " * 2000 + b"]}")
    assert response.status_code == 413


def test_an_unknown_object_is_a_404_that_names_it(api_client, tokens, world):
    response = api_client(tokens["read"]).get("/parties/NOBODY")
    assert response.status_code == 404 and "NOBODY" in response.json()["detail"]
