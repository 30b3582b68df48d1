"""pacta's REST API, version 1: `/api/v1/`, OpenAPI at `/api/v1/openapi.json`, docs at `/api/v1/docs`.

Every refusal is a `Problem` (`{"detail": …, "errors": [{field, message, row, line}]}`)
with a 4xx status: bad JSON 400, no valid token 401, not allowed 403, not
found 404, changed by someone else meanwhile 409, too large 413, wrong
content type 415, invalid 422, too many requests 429. docs/api.md is
generated from this schema (`pacta apidocs`).
"""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, get_language
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from pacta.api import auth
from pacta.api.auth import RateLimited
from pacta.api.common import REFUSALS, JsonParser, check_content_type
from pacta.api.docs import LocalSwagger
from pacta.api.routers import agreements, commitments, events, parties, watch
from pacta.api.routers.events import BatchRefused
from pacta.api.schemas import EventBatchIn, MeOut, WebhookBody
from pacta.core.actions.register import ConflictError, RegisterError
from pacta.core.imports import ImportErrors

# The schema documents the API for developers, in English like docs/ (docs/api.md is made from it).
DESCRIPTION = (
    "The register and watchdog of special agreements, for other systems: parties, agreements with their "
    "versions, commitments with their verdicts, instances, events, deviations and actions.\n\n"
    "Authenticate with an API token (created on the page Integrations → API tokens): "
    "`Authorization: Bearer <token>`. Scopes: `read` (every GET), `events` (POST /events), `admin` "
    "(every other change, as far as the token's user may; includes the other two)."
)

# pydantic's words for the common problems, in the reader's language.
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("Required."),
    "extra_forbidden": gettext_lazy("Unknown field."),
}


class PactaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        """The schema of `_build_openapi_schema`, built once per set of arguments and language
        (building it takes a third of a second; the operations do not change while pacta runs).
        Each caller gets its own copy to change as it likes."""
        key = (repr(args), repr(sorted(kwargs.items())), get_language())
        cache = self.__dict__.setdefault("_openapi_schemas", {})
        if key not in cache:
            cache[key] = self._build_openapi_schema(*args, **kwargs)
        return copy.deepcopy(cache[key])

    def _build_openapi_schema(self, *args, **kwargs):
        """The generated schema plus what ninja leaves out: each operation's token scope (in its
        security requirement and its description), and the bodies no operation declares as a
        parameter: the event batch (read by POST /events itself) and the webhooks' body."""
        schema = super().get_openapi_schema(*args, **kwargs)
        scopes = {self.get_openapi_operation_id(op): str(op.auth_callbacks[0].scope)
                  for router in self._get_bound_routers() for view in router.path_operations.values()
                  for op in view.operations if op.auth_callbacks}
        for methods in schema["paths"].values():
            for operation in methods.values():
                scope = scopes.get(operation.get("operationId"))
                if scope:
                    operation["security"] = [{name: [scope]} for item in operation.get("security", []) for name in item]
                    operation["description"] = (operation.get("description", "") + f"\n\nScope: `{scope}`.").strip()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (EventBatchIn, WebhookBody):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(found.pop("$defs", {}))
            components[model.__name__] = found
        return schema


api = PactaAPI(
    title="pacta",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    parser=JsonParser(),
    docs=LocalSwagger(),
)
api.add_decorator(check_content_type, mode="view")


def problem(request, status: int, detail: str, errors=(), headers: dict | None = None):
    response = api.create_response(request, {"detail": str(detail), "errors": list(errors)}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        if location[:1] == ["body"]:
            location = location[2:]  # ("body", <parameter name>, field, …)
        elif location:
            location = location[1:]  # ("query", field) or ("path", field)
        message = PYDANTIC_MESSAGES.get(error.get("type"), error.get("msg", ""))
        errors.append({"field": ".".join(location), "message": str(message)})
    return problem(request, 422, _("The request has invalid fields; nothing was changed."), errors)


@api.exception_handler(HttpError)
def refused(request, exc: HttpError):
    if isinstance(exc, AuthenticationError):
        return problem(request, 401, _("Give a valid API token in the header Authorization: Bearer <token>."),
                       headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, BatchRefused):
        errors = [{"row": i.line, "field": i.field, "message": i.message} for i in exc.issues]
        return problem(request, exc.status_code, exc.message, errors)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return problem(request, exc.status_code, exc.message, headers=headers)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return problem(request, 404, str(exc) or _("Not found."))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc: PermissionDenied):
    return problem(request, 403, str(exc) or _("Not allowed."))


@api.exception_handler(RegisterError)
def register_refused(request, exc: RegisterError):
    errors = [{"field": field, "message": str(m)} for field, messages in exc.errors.items() for m in messages]
    return problem(request, 422, _("The change was refused; nothing was changed."), errors)


@api.exception_handler(ConflictError)
def conflict(request, exc: ConflictError):
    return problem(request, 409, str(exc))


@api.exception_handler(ImportErrors)
def file_refused(request, exc: ImportErrors):
    errors = [{"line": i.line, "field": i.field, "message": i.message} for i in exc.issues]
    return problem(request, 422, _("The file was refused; nothing was stored."), errors)


@api.get("/me", response={200: MeOut, **REFUSALS}, auth=auth.READ, tags=["tokens"])
def me(request):
    """The token's user and the token itself: a first call to check a token."""
    user, token = request.user, request.auth
    return {"username": user.get_username(), "name": str(user), "role": user.effective_role,
            "can_write": user.can_write, "token": token}


for module in (parties, agreements, commitments, events, watch):
    api.add_router("/", module.router)
