from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacta.lib import clock

# The main navigation: (url name, label, the path prefix that marks it current
# or None for the URL itself), in the order of a day's work: what needs doing
# first, the register, talking with customers, reviews, then the records.
NAV = [
    ("front:dashboard", _("Dashboard"), None),
    ("front:actions", _("Actions"), None),
    ("front:parties", _("Parties"), None),
    ("front:agreements", _("Agreements"), None),
    ("front:commitments", _("Commitments"), None),
    ("engagement:intakes", _("Intakes"), None),
    ("engagement:updates", _("Status updates"), None),
    ("review:coverage", _("Reviews"), "/review/"),
    ("integrations:events", _("Events"), None),
    ("front:import", _("Import"), None),
    ("front:audit", _("Audit log"), None),
]


def pacta(request):
    """Values every page needs: the navigation, the demo flag, and the "as of"
    moment when the installation's clock is set (PACTA_CLOCK)."""
    nav = []
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        path = request.path
        for name, label, prefix in NAV:
            url = reverse(name)
            active = path == url if url == "/" else path.startswith(prefix or url)
            nav.append({"url": url, "label": label, "active": active})
    return {"PACTA_DEMO": settings.DEMO, "NAV": nav, "AS_OF": clock.now() if clock.is_overridden() else None}
