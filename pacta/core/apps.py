from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pacta.core"
    label = "core"
    verbose_name = _("Agreements")

    def ready(self):
        from pacta.core import signals  # noqa: F401  (connects the receivers)
