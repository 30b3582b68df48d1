"""The schema and the interactive reference are served by pacta itself, with nothing from elsewhere."""

import re


def test_the_openapi_schema_is_served_without_a_token(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "pacta"
    assert "/api/v1/events" in schema["paths"]
    assert schema["components"]["schemas"]["EventBatchIn"]["properties"]["events"]["maxItems"] == 10_000


def test_the_docs_page_loads_its_files_from_this_site(client, db):
    page = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200


def test_only_the_docs_files_are_served(client, db):
    assert client.get("/api/v1/docs/assets/redoc.standalone.js.map").status_code == 404
