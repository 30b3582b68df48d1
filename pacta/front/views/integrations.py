"""Open to other systems: the event log, API tokens, webhooks and their delivery log.

Tokens are a person's own (an administrator sees and revokes everybody's);
a token's secret and a webhook's secret are shown once, when made. Webhooks
tell another system about the whole portfolio: managers set them up.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from pacta.core.actions.api import (
    can_manage_token,
    can_manage_webhooks,
    do_create_api_token,
    do_create_webhook,
    do_delete_webhook,
    do_revoke_api_token,
    do_rotate_webhook_secret,
    do_update_webhook,
)
from pacta.core.models import ApiToken, Event, WebhookDelivery, WebhookSubscription
from pacta.front.integration_forms import EventFilter, TokenForm, WebhookForm
from pacta.front.listing import Column, Listing

from .common import FAILED, attempt, render_list

USES_SHOWN = 100
DELIVERIES_PER_PAGE = 50

# The columns of an event file (COMMITMENTS.md section 2): an exported log can be imported again.
EVENT_COLUMNS = [
    Column("id", lambda e: e.external_id),
    Column("kind", lambda e: e.kind),
    Column("party", lambda e: e.party.code),
    Column("at", lambda e: e.at.date() if e.date_only else e.at),
    Column("ref", lambda e: e.ref),
    Column("product", lambda e: e.product),
    Column("quantity", lambda e: e.quantity),
    Column("unit_price", lambda e: e.unit_price),
    Column("discount", lambda e: e.discount),
    Column("list_price", lambda e: e.list_price),
    Column("amount", lambda e: e.amount),
    Column("currency", lambda e: e.currency),
    Column("due", lambda e: (e.due.date() if e.due_date_only else e.due) if e.due else None),
    Column("force_majeure", lambda e: e.force_majeure),
]
DELIVERY_COLUMNS = [
    Column(gettext_lazy("created"), lambda d: d.created_at),
    Column(gettext_lazy("topic"), lambda d: d.topic),
    Column(gettext_lazy("status"), lambda d: d.status),
    Column(gettext_lazy("attempts"), lambda d: d.attempts),
    Column(gettext_lazy("next attempt"), lambda d: d.next_attempt_at),
    Column(gettext_lazy("delivered"), lambda d: d.delivered_at),
    Column(gettext_lazy("last error"), lambda d: d.last_error),
]
EVENT_SORTS = {"at": ("at",), "party": ("party__code", "at"), "kind": ("kind", "at"), "recorded": ("created_at",)}


# ---------------------------------------------------------------------------
# the event log


@login_required
def event_list(request):
    """Every fact pacta has, from files, the API and people: searchable, exportable as an event file."""
    filters = EventFilter(request.GET)
    listing = Listing(request, filters.apply(Event.objects.select_related("party", "batch")), sorts=EVENT_SORTS,
                      default="-at")
    if listing.export_format:
        return listing.export("events", EVENT_COLUMNS)
    return render_list(request, "front/integrations/event_list.html", "front/integrations/event_results.html",
                       {"filters": filters, "listing": listing})


# ---------------------------------------------------------------------------
# API tokens


def _tokens_for(user):
    tokens = ApiToken.objects.select_related("user", "revoked_by").annotate(
        last_used=Max("uses__at"), use_count=Count("uses"))
    return tokens if user.has_role("admin") else tokens.filter(user=user)


def _token_page(request, form: TokenForm, secret: str = "", status: int = 200):
    tokens = _tokens_for(request.user)
    return render(request, "front/integrations/tokens.html", {
        "form": form, "secret": secret,
        "active": tokens.filter(revoked_at__isnull=True), "revoked": tokens.filter(revoked_at__isnull=False)[:20],
        "api_docs": reverse("api-v1:openapi-view"),
    }, status=status)


@never_cache  # the answer to a post holds the secret
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """Your API tokens; make one (its secret is shown this once)."""
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        made = attempt(lambda: do_create_api_token(acting_user=request.user, **form.cleaned_data), form)
        if made is not FAILED:
            token, secret = made
            return _token_page(request, TokenForm(user=request.user), secret=secret, status=201)
    return _token_page(request, form)


def _token(request, pk: int) -> ApiToken:
    token = get_object_or_404(ApiToken.objects.select_related("user", "revoked_by"), pk=pk)
    if not can_manage_token(request.user, token):
        raise PermissionDenied(_("This is somebody else's token."))
    return token


@login_required
def token_detail(request, pk):
    """A token and its use log: every request made with it, when, from where, and whether it was refused."""
    token = _token(request, pk)
    return render(request, "front/integrations/token_detail.html", {
        "token": token, "uses": token.uses.all()[:USES_SHOWN], "use_count": token.uses.count(),
        "limit": USES_SHOWN,
    })


@login_required
@require_POST
def token_revoke(request, pk):
    token = _token(request, pk)
    do_revoke_api_token(token, acting_user=request.user)
    messages.success(request, _("The token “%(name)s” ending in …%(hint)s no longer works.")
                     % {"name": token.name, "hint": token.hint})
    return redirect("integrations:tokens")


# ---------------------------------------------------------------------------
# webhooks


def _require_webhooks(request) -> None:
    if not can_manage_webhooks(request.user):
        raise PermissionDenied(_("Managers set up webhooks."))


def _webhook(request, pk: int) -> WebhookSubscription:
    _require_webhooks(request)
    return get_object_or_404(WebhookSubscription, pk=pk)


@login_required
def webhooks(request):
    """The webhooks with how their deliveries went."""
    _require_webhooks(request)
    counted = WebhookSubscription.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.DELIVERED)),
        waiting=Count("deliveries", filter=Q(deliveries__status__in=[
            WebhookDelivery.Status.QUEUED, WebhookDelivery.Status.SENDING])),
        failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
    )
    return render(request, "front/integrations/webhooks.html", {"webhooks": counted})


@never_cache  # the answer holds the secret
@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    _require_webhooks(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "is_active"}
        made = attempt(lambda: do_create_webhook(acting_user=request.user, **data), form)
        if made is not FAILED:
            return _webhook_page(request, made, secret=made.secret)
    return render(request, "front/integrations/webhook_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk):
    webhook = _webhook(request, pk)
    form = WebhookForm(request.POST or None, instance=webhook)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in WebhookForm.Meta.fields}
        webhook.refresh_from_db()  # the form wrote into the instance; the write compares with what is stored
        if attempt(lambda: do_update_webhook(webhook, acting_user=request.user, **fields), form) is not FAILED:
            messages.success(request, _("The webhook was saved."))
            return redirect("integrations:webhook", pk=webhook.pk)
    return render(request, "front/integrations/webhook_form.html", {"form": form, "webhook": webhook})


def _webhook_page(request, webhook: WebhookSubscription, secret: str = ""):
    deliveries = Listing(request, webhook.deliveries.all(), sorts={"created": ("created_at",)}, default="-created",
                         per_page=DELIVERIES_PER_PAGE)
    if deliveries.export_format:
        return deliveries.export(f"webhook-{webhook.pk}-deliveries", DELIVERY_COLUMNS)
    return render(request, "front/integrations/webhook_detail.html", {
        "webhook": webhook, "secret": secret, "listing": deliveries,
    })


@never_cache
@login_required
def webhook_detail(request, pk):
    """A webhook and its delivery log: every message, its attempts, the receiver's answers."""
    return _webhook_page(request, _webhook(request, pk))


@never_cache  # the answer holds the secret
@login_required
@require_POST
def webhook_secret(request, pk):
    webhook = _webhook(request, pk)
    secret = do_rotate_webhook_secret(webhook, acting_user=request.user)
    return _webhook_page(request, webhook, secret=secret)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, pk):
    webhook = _webhook(request, pk)
    if request.method == "POST":
        do_delete_webhook(webhook, acting_user=request.user)
        messages.success(request, _("The webhook “%(name)s” was removed.") % {"name": webhook.name})
        return redirect("integrations:webhooks")
    return render(request, "front/confirm.html", {
        "title": _("Remove the webhook “%(name)s”?") % {"name": webhook.name},
        "explanation": _("pacta stops posting to %(url)s at once; its delivery log is removed too.")
        % {"url": webhook.url},
        "button": gettext_lazy("Remove"), "danger": True, "back": reverse("integrations:webhook", args=[pk]),
    })
