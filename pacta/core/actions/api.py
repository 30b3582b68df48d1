"""Writes of "open to other systems": API tokens and webhook subscriptions.

Like every do_* function (STYLE.md habit 5) each one is atomic, writes the
audit entry, and takes `acting_user` by keyword. Permission checks are
`can_manage_token` and `can_manage_webhooks`: views and the API call them
before they call these.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit, diff_fields
from pacta.core.actions.register import RegisterError
from pacta.core.actions.watch import hash_token
from pacta.core.models import ApiScope, ApiToken, AuditEntry, Deviation, WebhookSubscription

TOKEN_PREFIX = "pacta_"
WEBHOOK_FIELDS = ("name", "url", "on_deviations", "on_actions", "is_active")
WRITE_SCOPES = frozenset({ApiScope.EVENTS, ApiScope.ADMIN})


# ---------------------------------------------------------------------------
# permissions


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_manage_token(user, token: ApiToken) -> bool:
    """People revoke their own tokens; administrators revoke anybody's."""
    return _active(user) and (user.pk == token.user_id or user.has_role("admin"))


def can_manage_webhooks(user) -> bool:
    """Webhooks tell another system about the whole portfolio: managers and administrators set them up."""
    return _active(user) and user.is_manager


def allowed_scopes(user) -> list[str]:
    """The scopes a token of `user` may have: a viewer's token only reads."""
    if not _active(user):
        return []
    return list(ApiScope.values) if user.can_write else [ApiScope.READ]


# ---------------------------------------------------------------------------
# tokens


def find_api_token(raw: str) -> ApiToken | None:
    """The active token for a presented secret, or None (unknown, revoked, or its user inactive)."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


@transaction.atomic
def do_create_api_token(*, acting_user, name: str, scopes: Iterable[str],
                        rate_limit: int | None = None) -> tuple[ApiToken, str]:
    """Give `acting_user` a new API token with these scopes.

    Returns the row and the secret itself, which is stored nowhere: show it
    once. Refused (RegisterError) without a name or a scope, or with a scope
    the user may not give (a viewer's token only reads).
    """
    scopes = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    if not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif set(scopes) - set(allowed_scopes(acting_user)):
        errors["scopes"] = [_("You may not give a token more than you may do: a viewer's token only reads.")]
    if rate_limit is not None and rate_limit < 1:
        errors["rate_limit"] = [_("Enter at least 1, or leave it empty.")]
    if errors:
        raise RegisterError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=acting_user, name=name.strip(), token_hash=hash_token(raw), hint=raw[-4:],
                                    scopes=scopes, rate_limit=rate_limit)
    audit(acting_user, "create_api_token", token, changes={"name": token.name, "scopes": scopes, "hint": token.hint,
                                                            "rate_limit": rate_limit})
    return token, raw


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, acting_user) -> ApiToken:
    """Stop a token from working (revoking a revoked token again changes nothing)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = acting_user if getattr(acting_user, "pk", None) else None
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit(acting_user, "revoke_api_token", token, changes={"user": token.user, "hint": token.hint})
    return token


# ---------------------------------------------------------------------------
# webhooks


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def _check_webhook(fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    if "name" in fields and not fields["name"].strip():
        errors["name"] = [_("This field is required.")]
    url = fields.get("url")
    if url is not None and not url.lower().startswith(("http://", "https://")):
        errors["url"] = [_("Enter an http:// or https:// address.")]
    if errors:
        raise RegisterError(errors)


@transaction.atomic
def do_create_webhook(*, acting_user, name: str, url: str, on_deviations: bool = True, on_actions: bool = True,
                      secret: str = "") -> WebhookSubscription:
    """Subscribe a URL to deviations and/or action changes from now on.

    Without `secret` a random one is made. It hears of what happens after it
    was created, not of the past.
    """
    _check_webhook({"name": name, "url": url})
    webhook = WebhookSubscription.objects.create(
        name=name.strip(), url=url.strip(), secret=secret or new_webhook_secret(), on_deviations=on_deviations,
        on_actions=on_actions, created_by=acting_user if getattr(acting_user, "pk", None) else None,
        deviation_cursor=Deviation.objects.aggregate(last=Max("pk"))["last"] or 0,
        audit_cursor=AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0,
    )
    audit(acting_user, "create_webhook", webhook, changes={
        "name": webhook.name, "url": webhook.url, "on_deviations": on_deviations, "on_actions": on_actions})
    return webhook


@transaction.atomic
def do_update_webhook(webhook: WebhookSubscription, *, acting_user, **fields) -> WebhookSubscription:
    """Change a webhook's name, URL, topics or whether it is active."""
    unknown = set(fields) - set(WEBHOOK_FIELDS)
    if unknown:
        raise TypeError(f"unknown webhook fields: {sorted(unknown)}")
    _check_webhook(fields)
    changes = diff_fields(webhook, fields)
    for name, value in fields.items():
        setattr(webhook, name, value.strip() if isinstance(value, str) else value)
    # Only these fields: the cursors belong to the watcher, which may have moved them meanwhile.
    webhook.save(update_fields=[*fields, "updated_at"])
    if changes:
        audit(acting_user, "change_webhook", webhook, changes=changes)
    return webhook


@transaction.atomic
def do_rotate_webhook_secret(webhook: WebhookSubscription, *, acting_user) -> str:
    """Give the webhook a new secret (the old one stops signing at once); return it."""
    webhook.secret = new_webhook_secret()
    webhook.save(update_fields=["secret", "updated_at"])
    audit(acting_user, "rotate_webhook_secret", webhook)
    return webhook.secret


@transaction.atomic
def do_delete_webhook(webhook: WebhookSubscription, *, acting_user) -> None:
    """Remove a webhook with its delivery log."""
    audit(acting_user, "delete_webhook", webhook, changes={"name": webhook.name, "url": webhook.url})
    webhook.delete()


__all__ = [
    "allowed_scopes",
    "can_manage_token",
    "can_manage_webhooks",
    "do_create_api_token",
    "do_create_webhook",
    "do_delete_webhook",
    "do_revoke_api_token",
    "do_rotate_webhook_secret",
    "do_update_webhook",
    "find_api_token",
    "new_webhook_secret",
]
