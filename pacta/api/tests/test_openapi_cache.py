"""The OpenAPI schema is built once per prefix and language, and every caller gets its own copy."""

from django.utils import translation

from pacta.api.api import PactaAPI, api


def test_the_schema_is_built_once_and_handed_out_as_copies(monkeypatch):
    monkeypatch.setattr(api, "_openapi_schemas", {}, raising=False)
    builds = []
    original = PactaAPI._build_openapi_schema

    def counted(self, *args, **kwargs):
        builds.append(kwargs.get("path_prefix"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PactaAPI, "_build_openapi_schema", counted)
    first = api.get_openapi_schema(path_prefix="/api/v1/")
    first["paths"].clear()  # a caller changing its copy changes nobody else's
    second = api.get_openapi_schema(path_prefix="/api/v1/")
    assert builds == ["/api/v1/"]
    assert "/api/v1/events" in second["paths"]
    with translation.override("de"):
        api.get_openapi_schema(path_prefix="/api/v1/")
    api.get_openapi_schema(path_prefix="/other/")
    assert builds == ["/api/v1/", "/api/v1/", "/other/"]


def test_the_served_schema_is_the_built_one(client):
    served = client.get("/api/v1/openapi.json").json()
    assert served["paths"] and served["info"]["title"] == "pacta"
    assert served == client.get("/api/v1/openapi.json").json()
