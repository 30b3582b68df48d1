"""Users and their roles.

Roles, from least to most: a viewer sees but never changes; a member changes
what they own (parties they are the point of contact or deputy for, agreements
of those parties, commitments they execute or register); a manager changes
everything; an admin also manages users and settings.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to follow the browser's language."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    # What the watcher tells this person by e-mail (pacta.core.watch).
    alert_at_risk = models.BooleanField(_("alert when something goes at risk"), default=True)
    alert_overdue = models.BooleanField(_("alert when something becomes overdue"), default=True)
    alert_broken = models.BooleanField(_("alert when something is broken or kept late"), default=True)
    alert_recovered = models.BooleanField(_("alert when something is back on track"), default=False)
    remind_overdue_actions = models.BooleanField(_("daily reminder of my overdue actions"), default=True)
    weekly_digest = models.BooleanField(_("weekly digest on Monday morning"), default=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def effective_role(self) -> str:
        """Superusers are administrators whatever their stored role."""
        return Role.ADMIN if self.is_superuser else self.role

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or a stronger one."""
        if not self.is_active:
            return False
        return ROLE_RANK[Role(self.effective_role)] >= ROLE_RANK[Role(role)]

    @property
    def is_manager(self) -> bool:
        return self.has_role(Role.MANAGER)

    @property
    def can_write(self) -> bool:
        """Viewers never change anything."""
        return self.has_role(Role.MEMBER)
