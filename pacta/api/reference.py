"""docs/api.md, written from the OpenAPI schema (`pacta apidocs`; a test checks it is up to date)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

DOC = Path(settings.PROJECT_DIR) / "docs" / "api.md"
HEAD = """# API reference

Generated from the OpenAPI schema by `pacta apidocs`: do not edit by hand. The live schema is at
`/api/v1/openapi.json`, the interactive reference at `/api/v1/docs`; docs/connect-your-erp.md shows how
an ERP sends its events.
"""
ERRORS = """## Refusals

Every refusal has a 4xx status and a `Problem` body: `detail` says what is wrong, `errors` lists each
problem with its `field` (a dotted path), and for an event batch its `row` (the event's index, from 0),
for an agreement file its `line`.

| status | when |
|---|---|
| 400 | the body is not valid JSON |
| 401 | no valid token (`Authorization: Bearer <token>`) |
| 403 | the token lacks the operation's scope, or its user may not change this (a viewer's token never writes) |
| 404 | no such party, agreement, commitment, event, deviation or action |
| 409 | somebody changed it since you read it (`revision`) |
| 413 | more than 10,000 events in a batch, or a body over the upload limit |
| 415 | a body in another content type than the operation reads |
| 422 | invalid or unknown fields, or a change the register refuses |
| 429 | the token's rate limit is reached; `Retry-After` says when to try again |
"""
WEBHOOKS = """## Webhooks

Managers add webhooks on the page Integrations → Webhooks: a URL, the topics (deviations, action
changes) and a secret that pacta makes and shows once. The watcher (`pacta watch`) posts a
`WebhookBody` for each deviation (`deviation.recorded`) and each change of an action
(`action.opened`, `action.changed`, `action.resolved`), with these headers:

| header | value |
|---|---|
| `Content-Type` | `application/json` |
| `X-Pacta-Topic` | the topic |
| `X-Pacta-Delivery` | the delivery's number (the same on every retry) |
| `X-Pacta-Signature` | `sha256=` and the hex HMAC-SHA256 of the body with the webhook's secret |

Check the signature over the raw body before you parse it. Any 2xx answer delivers the message;
anything else (or no answer in 5 seconds) is tried again after 1, 2, 4 … minutes, at most 6 hours
apart, up to 10 times. Every attempt is in the webhook's delivery log. A message can arrive more
than once (your answer was lost, or pacta lost its database right after you answered): skip an
`X-Pacta-Delivery` number you have handled already.
"""


def _settings() -> str:
    from pacta.api import auth
    from pacta.core import watch, webhooks

    rows = [
        ("PACTA_API_RATE_LIMIT", auth.DEFAULT_RATE_LIMIT, "requests per minute of a token without a limit of its own"),
        ("PACTA_API_LOG_DAYS", watch.API_LOG_DAYS, "days the watcher keeps each token's use log (0: for ever)"),
        ("PACTA_WEBHOOK_TIMEOUT", webhooks.TIMEOUT_SECONDS, "seconds to wait for a receiver's answer"),
        ("PACTA_WEBHOOK_MAX_ATTEMPTS", webhooks.MAX_ATTEMPTS, "tries before a delivery has failed"),
        ("PACTA_WEBHOOK_RETRY_FIRST_SECONDS", int(webhooks.RETRY_FIRST.total_seconds()),
         "wait after the first failure (doubling)"),
        ("PACTA_WEBHOOK_RETRY_LONGEST_SECONDS", int(webhooks.RETRY_LONGEST.total_seconds()),
         "longest wait between tries"),
        ("PACTA_WEBHOOK_SETTLE_SECONDS", int(webhooks.SETTLE.total_seconds()),
         "how long new rows are looked at again (a row may commit after a younger one)"),
        ("PACTA_WEBHOOK_BATCH", webhooks.BATCH, "rows queued per webhook and pass"),
        ("PACTA_WEBHOOK_PER_PASS", webhooks.PER_PASS, "posts per pass of the watcher at most"),
    ]
    table = "\n".join(f"| `{name}` | {default} | {what} |" for name, default, what in rows)
    return f"## Settings\n\n| setting | default | what |\n|---|---|---|\n{table}\n"


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" if v != "" else '`""`' for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"object of {_type(schema['additionalProperties'])}"
    if kind == "string" and schema.get("format"):
        return f"string ({schema['format']})"
    return str(kind)


def _cell(text) -> str:
    return str(text or "").replace("\n", " ").replace("|", "\\|")


def _operation(path: str, method: str, op: dict) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if op.get("description"):
        lines += [op["description"].strip(), ""]
    params = op.get("parameters", [])
    if params:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            lines.append(f"| `{p['name']}` | {p['in']} | {_cell(_type(p.get('schema', {})))} | "
                         f"{'yes' if p.get('required') else ''} | {_cell(p.get('description') or p.get('schema', {}).get('description'))} |")
        lines.append("")
    body = op.get("requestBody")
    if body:
        kinds = ", ".join(f"`{name}` {_type(media.get('schema', {}))}" for name, media in body["content"].items())
        lines += [f"Body: {kinds}", ""]
    answers = []
    for status, response in sorted(op.get("responses", {}).items()):
        if not str(status).startswith("2"):
            continue
        content = response.get("content") or {}
        shown = ", ".join(f"`{name}` {_type(media.get('schema', {}))}" for name, media in content.items())
        answers.append(f"{status}: {shown or response.get('description', '')}")
    lines += ["Answer: " + "; ".join(answers) + " (refusals: see above).", ""]
    return lines


def _component(name: str, schema: dict) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    properties = schema.get("properties")
    if properties:
        required = set(schema.get("required", []))
        lines += ["| field | type | required | description |", "|---|---|---|---|"]
        for field, spec in properties.items():
            lines.append(f"| `{field}` | {_cell(_type(spec))} | {'yes' if field in required else ''} | "
                         f"{_cell(spec.get('description'))} |")
        lines.append("")
    elif "enum" in schema:
        lines += [_type(schema), ""]
    return lines


def render(schema: dict) -> str:
    """The reference page for an OpenAPI schema."""
    lines = [HEAD, schema["info"].get("description", "").strip(), "", ERRORS, WEBHOOKS, _settings(),
             "## Operations", ""]
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((path, method, op))
    for tag, operations in by_tag.items():
        lines += [f"### {tag.capitalize()}", ""]
        for path, method, op in operations:
            lines += ["#" + line if line.startswith("### ") else line for line in _operation(path, method, op)]
    lines += ["## Schemas", ""]
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        lines += _component(name, component)
    return "\n".join(lines).rstrip() + "\n"


def current() -> str:
    from pacta.api.api import api

    return render(json.loads(json.dumps(api.get_openapi_schema(), default=str)))
