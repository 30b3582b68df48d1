"""The commitment type registry (COMMITMENTS.md section 3).

Importing this package registers every type; `get_type(name)` returns one.
"""

from . import (  # noqa: F401  (registration by import)
    agreed_price,
    conditional_price,
    deadline,
    delivery_window,
    notice_before_delivery,
    on_time_delivery,
    payment_term,
    recurring,
    response_time,
    volume_commitment,
    volume_rebate,
)
from .base import REGISTRY, CommitmentType, FieldError, Spec, get_type, params_to_data, validate_params

TYPE_NAMES = tuple(REGISTRY)

__all__ = [
    "REGISTRY",
    "TYPE_NAMES",
    "CommitmentType",
    "FieldError",
    "Spec",
    "get_type",
    "params_to_data",
    "validate_params",
]
