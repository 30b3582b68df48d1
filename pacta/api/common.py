"""What the API's routers share: look-ups that answer 404 or 403, list filters and
pages, exports, users by name, and the refusals every operation may give."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser

from pacta.api.schemas import ExportFormat, PageQuery, Problem
from pacta.core.actions.register import RegisterError
from pacta.core.permissions import can_change
from pacta.front.listing import Column, csv_response, xlsx_response

JSON = "application/json"
MULTIPART = "multipart/form-data"
YAML = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
BODY_METHODS = ("POST", "PUT", "PATCH")
# The 4xx answers every operation may give, documented once for all.
REFUSALS = {code: Problem for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}


class NotFound(Http404):
    """A 404 whose message says what was not found."""


def not_found(what: str, key) -> NotFound:
    return NotFound(_("No %(what)s %(key)s.") % {"what": what, "key": key})


def get_or_404(queryset: QuerySet, what: str, label, **lookup):
    found = queryset.filter(**lookup).first()
    if found is None:
        raise not_found(what, label)
    return found


def require_change(request, obj=None) -> None:
    """403 unless the token's user may change `obj` (None: may create things)."""
    if not can_change(request.user, obj):
        raise PermissionDenied(_("The token's user may look at this, but not change it."))


def user_named(username: str | None, field: str):
    """The active user called `username`; None for None or empty text; a refusal on `field` for anybody else."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise RegisterError({field: [_("No active user is called %(name)s.") % {"name": username}]})
    return user


def filtered(form_class, query, queryset: QuerySet, **form_kwargs) -> QuerySet:
    """Narrow `queryset` with the list's filter form (the web pages' own, so both filter alike).

    `query` is the operation's query schema, whose types already refused
    malformed values (422). What the form still refuses is a name nobody has
    (an unknown user or country): nothing matches it, so the list is empty —
    never the whole list, as the web page's lenient form would show.
    """
    data = {}
    for name, value in query.dict().items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    form = form_class(data, **form_kwargs)
    if data and not form.is_valid():
        return queryset.none()
    return form.apply(queryset)


def page(queryset: QuerySet, paging: PageQuery) -> dict:
    return {"count": queryset.count(), "items": list(queryset[paging.offset:paging.offset + paging.limit])}


def export(queryset: QuerySet, columns: list[Column], name: str, fmt: ExportFormat) -> HttpResponse:
    """The whole list as `<name>.csv` or `<name>.xlsx`: the columns of the web page's export."""
    rows = queryset.iterator(chunk_size=2000)
    if fmt == ExportFormat.xlsx:
        return xlsx_response(f"{name}.xlsx", columns, rows)
    return csv_response(f"{name}.csv", columns, rows)


EXPORT_RESPONSES = {
    200: {
        "description": "The list as a CSV file or an XLSX workbook.",
        "content": {"text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}}},
    },
}


def client_ip(request) -> str | None:
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Content types


def accepts(*content_types: str) -> Callable:
    """Mark an operation that reads its body itself, in these content types (default: JSON only)."""
    def mark(view):
        view.accepts = content_types
        return view
    return mark


class UnsupportedMediaType(HttpError):
    def __init__(self, accepted: tuple[str, ...]):
        super().__init__(415, _("Send the body as %(types)s (the Content-Type header).") % {"types": " or ".join(accepted)})


class TooLarge(HttpError):
    def __init__(self, message: str):
        super().__init__(413, message)


class BadJson(HttpError):
    def __init__(self, error: Exception):
        super().__init__(400, _("The body is not valid JSON: %(error)s.") % {"error": error})


def _no_constants(name: str):
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


class NulCharacter(HttpError):
    def __init__(self):
        super().__init__(400, _("Text cannot contain the NUL character (\\u0000)."))


class LoneSurrogate(HttpError):
    def __init__(self):
        super().__init__(400, _("Text cannot contain a lone surrogate (\\ud800 to \\udfff): it is not Unicode."))


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # how one is written in JSON (a valid pair too)


def _texts(value):
    """Every text of a parsed JSON body, keys included (iteratively: a body may nest deep)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def json_body(request):
    """The request's JSON body, parsed once (numbers with a fraction as exact Decimals; NaN and Infinity
    refused; text with a NUL character or a lone surrogate refused, as no database stores it)."""
    if not hasattr(request, "_api_json"):
        try:
            data = json.loads(request.body, parse_float=Decimal, parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise BadJson(exc) from None
        # The scans are paid only when they may find something.
        if b"\\u0000" in request.body and any("\x00" in text for text in _texts(data)):
            raise NulCharacter()
        if _ESCAPED_SURROGATE.search(request.body) and any(_SURROGATE.search(text) for text in _texts(data)):
            raise LoneSurrogate()
        request._api_json = data
    return request._api_json



class JsonParser(Parser):
    """ninja's bodies come from `json_body`: parsed once, checked before by `check_content_type`."""

    def parse_body(self, request):
        return json_body(request)


def _announced_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def check_content_type(run):
    """A view decorator for every operation: a body must come in a content type the operation reads,
    fit the upload limit, and (JSON) parse. Checked before ninja reads the body, so the answer is a
    clear 415, 413 or 400 rather than ninja's "Cannot parse request body"."""
    operation = run.__self__
    accepted = getattr(operation.view_func, "accepts", (JSON,))

    @wraps(run)
    def checked(request, *args, **kwargs):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return operation.api.on_exception(request, NulCharacter())
        if request.method in BODY_METHODS:
            try:
                # A multipart body is parsed as it arrives (its files to disk), never held whole in memory.
                has_body = (_announced_length(request) > 0 if request.content_type == MULTIPART
                            else bool(request.body))
            except RequestDataTooBig:
                return operation.api.on_exception(request, TooLarge(_("The request body is too large.")))
            if has_body and request.content_type not in accepted:
                return operation.api.on_exception(request, UnsupportedMediaType(accepted))
            if has_body and request.content_type == JSON:
                try:
                    json_body(request)
                except (BadJson, NulCharacter, LoneSurrogate) as exc:
                    return operation.api.on_exception(request, exc)
        return run(request, *args, **kwargs)

    return checked
