"""`notice_before_delivery`: a notice between `max_before` and `min_before` ahead of each delivery."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Params, register
from ._fields import Duration


class NoticeBeforeDeliveryParams(Params):
    min_before: Duration = Field(description="At least this long before the delivery, e.g. PT1H.")
    max_before: Duration | None = Field(
        None, description="At most this long before the delivery, e.g. PT24H; empty: any time before."
    )

    @model_validator(mode="after")
    def _window(self):
        if self.max_before is not None and self.max_before < self.min_before:
            raise ValueError(gettext("max_before must not be shorter than min_before."))
        return self


@register
class NoticeBeforeDelivery(CommitmentType):
    name = "notice_before_delivery"
    label = _("Notice before delivery")
    help = _("The party is told ahead of each delivery, e.g. a call one hour before.")
    Params = NoticeBeforeDeliveryParams
    reads = {"customer": ("delivery", "notice"), "supplier": ("receipt", "notice")}

