"""The API's URLs, included under /api/ (pacta/urls.py): /api/v1/…"""

from django.urls import path

from pacta.api import docs
from pacta.api.api import api

urlpatterns = [
    path("v1/docs/assets/<str:name>", docs.asset, name="api-docs-asset"),
    path("v1/", api.urls),
]
