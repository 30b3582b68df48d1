from enum import StrEnum

from .base import EVENT_KINDS

EventKind = StrEnum("EventKind", {k.upper(): k for k in EVENT_KINDS})
