"""The audit log: who changed what and when."""

from __future__ import annotations

from typing import Any

from django.db import models

from pacta.core.models import Agreement, AuditEntry, Party


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def audit(
    acting_user,
    action: str,
    obj: models.Model,
    *,
    agreement: Agreement | None = None,
    party: Party | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one change. `changes` maps a field to `[old, new]` (or any JSON-able detail)."""
    user = acting_user if getattr(acting_user, "pk", None) else None
    return AuditEntry.objects.create(
        user=user,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        agreement=agreement,
        party=party,
        changes=_jsonable(changes or {}),
    )


def diff_fields(obj: models.Model, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value changes, as {field: [old, new]}."""
    changed = {}
    for name, new in new_values.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [old, new]
    return changed
