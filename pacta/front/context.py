from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacta.lib import clock

# The main navigation: (url name, label), in the order of a day's work: what needs
# doing first, then the register, then its records.
NAV = [
    ("front:dashboard", _("Dashboard")),
    ("front:actions", _("Actions")),
    ("front:parties", _("Parties")),
    ("front:agreements", _("Agreements")),
    ("front:commitments", _("Commitments")),
    ("front:import", _("Import")),
    ("front:audit", _("Audit log")),
]


def pacta(request):
    """Values every page needs: the navigation, the demo flag, and the "as of"
    moment when the installation's clock is set (PACTA_CLOCK)."""
    nav = []
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        path = request.path
        for name, label in NAV:
            url = reverse(name)
            active = path == url if url == "/" else path.startswith(url)
            nav.append({"url": url, "label": label, "active": active})
    return {"PACTA_DEMO": settings.DEMO, "NAV": nav, "AS_OF": clock.now() if clock.is_overridden() else None}
