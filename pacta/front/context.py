from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The main navigation: (url name, label).
NAV = [
    ("front:dashboard", _("Dashboard")),
    ("front:parties", _("Parties")),
    ("front:agreements", _("Agreements")),
    ("front:commitments", _("Commitments")),
    ("front:import", _("Import")),
    ("front:audit", _("Audit log")),
]


def pacta(request):
    """Values every page needs."""
    nav = []
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        path = request.path
        for name, label in NAV:
            url = reverse(name)
            active = path == url if url == "/" else path.startswith(url)
            nav.append({"url": url, "label": label, "active": active})
    return {"PACTA_DEMO": settings.DEMO, "NAV": nav}
