"""The API's test world: the watcher's small world (ALFKI, its agreement in force, five people),
API tokens for them, and a client that checks every answer against the OpenAPI schema.

`api_client(token)` returns a client whose every response is validated: its status must be
documented for the operation, and a JSON body must match the documented schema.
"""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
from django.test import Client

from pacta.api.api import api
from pacta.core.actions.api import do_create_api_token
from pacta.core.models import ApiScope
from pacta.core.tests.watch_world import world  # noqa: F401  (the fixture)

PREFIX = "/api/v1"


@pytest.fixture(scope="session")
def openapi(django_db_setup):
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


class SchemaMismatch(AssertionError):
    pass


class ApiClient:
    """A Django test client for the API with a bearer token; it validates every response."""

    def __init__(self, schema: dict, token: str | None):
        self.client = Client(raise_request_exception=True)
        self.schema = schema
        self.token = token
        self.components = {"components": schema.get("components", {})}
        self.routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                       for path in schema["paths"]]

    def request(self, method: str, path: str, body=None, *, content_type="application/json", raw: bytes | None = None,
                query: dict | None = None, headers: dict | None = None):
        url = PREFIX + path
        extra = dict(headers or {})
        if self.token:
            extra["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        call = getattr(self.client, method.lower())
        if method in ("GET", "DELETE"):
            response = call(url, query or {}, headers=extra)
        else:
            response = call(url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
                            data=data or b"", content_type=content_type, headers=extra)
        self.check(method, url, response)
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def check(self, method: str, url: str, response) -> None:
        """The response's status is documented for the operation and its body matches the schema."""
        template = next((t for pattern, t in self.routes if pattern.match(url.split("?")[0])), None)
        if template is None:
            raise SchemaMismatch(f"{url}: no such path in the schema")
        operation = self.schema["paths"][template].get(method.lower())
        if operation is None:
            raise SchemaMismatch(f"{method} {template}: no such operation in the schema")
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            raise SchemaMismatch(f"{method} {template}: status {response.status_code} is not documented")
        content_type = response.get("Content-Type", "").split(";")[0]
        media = (documented.get("content") or {}).get(content_type)
        if media is None:
            raise SchemaMismatch(f"{method} {template} {response.status_code}: content type {content_type} "
                                 f"is not documented ({list(documented.get('content') or {})})")
        if content_type == "application/json":
            validator = jsonschema_rs.validator_for({**media["schema"], **self.components})
            errors = [str(e) for e in validator.iter_errors(json.loads(response.content))]
            if errors:
                raise SchemaMismatch(f"{method} {template} {response.status_code}: {errors[:3]}")


@pytest.fixture
def api_client(openapi):
    return lambda token=None: ApiClient(openapi, token)


@pytest.fixture
def tokens(world):  # noqa: F811
    """Raw tokens: `read`, `events`, `admin` of Olav (a member who owns ALFKI), `mona` (a manager,
    admin scope), `nina_admin` (a member who owns nothing), `vera` (a viewer, read)."""
    def make(user, *scopes):
        return do_create_api_token(acting_user=user, name="test", scopes=scopes)[1]

    return {
        "read": make(world.olav, ApiScope.READ),
        "events": make(world.olav, ApiScope.EVENTS),
        "admin": make(world.olav, ApiScope.ADMIN),
        "mona": make(world.mona, ApiScope.ADMIN),
        "nina_admin": make(world.nina, ApiScope.ADMIN),
        "vera": make(world.vera, ApiScope.READ),
    }
