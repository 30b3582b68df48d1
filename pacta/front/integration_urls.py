"""Open to other systems (namespace `integrations`): the event log, API tokens, webhooks.

Included from pacta/urls.py at the site's root.
"""

from django.urls import path

from .views import integrations as views

app_name = "integrations"

WEBHOOK = "integrations/webhooks/<int:pk>/"

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("integrations/tokens/", views.tokens, name="tokens"),
    path("integrations/tokens/<int:pk>/", views.token_detail, name="token"),
    path("integrations/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("integrations/webhooks/", views.webhooks, name="webhooks"),
    path("integrations/webhooks/new/", views.webhook_create, name="webhook_create"),
    path(WEBHOOK, views.webhook_detail, name="webhook"),
    path(WEBHOOK + "edit/", views.webhook_edit, name="webhook_edit"),
    path(WEBHOOK + "secret/", views.webhook_secret, name="webhook_secret"),
    path(WEBHOOK + "delete/", views.webhook_delete, name="webhook_delete"),
]
