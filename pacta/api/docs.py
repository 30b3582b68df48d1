"""The interactive API reference (Swagger UI) at /api/v1/docs, served by pacta itself.

django-ninja ships Swagger UI's files but loads them from a CDN unless it is
an installed app; pacta's Content-Security-Policy allows scripts from its own
origin only. So the page is rendered here and its four files are served from
ninja's package by `asset`.
"""

from __future__ import annotations

import json
from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from ninja.openapi.docs import DocsBase

ASSETS = Path(ninja.__file__).parent / "static" / "ninja"
SERVED = {"swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css", "favicon.png"}


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        settings = {"layout": "BaseLayout", "deepLinking": True, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", {
            "api": api, "swagger_settings": json.dumps(settings),
            "assets": {name.split(".")[0].replace("-", "_"): reverse("api-docs-asset", args=[name]) for name in SERVED},
        })


@cache_control(max_age=86400, public=True)
def asset(request, name: str):
    if name not in SERVED:
        raise Http404(name)
    return FileResponse((ASSETS / name).open("rb"))
