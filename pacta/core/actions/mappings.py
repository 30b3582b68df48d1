"""Saved column mappings for event files of another layout (docs/event-files.md).

A mapping is checked here as `read_events` would check it (unknown canonical
names, an unknown time zone, a delimiter or a date format that cannot be used),
so that a saved mapping never fails on its own terms later. Every write is atomic and audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit
from pacta.core.actions.register import RegisterError
from pacta.core.imports import CANONICAL_COLUMNS, MAPPING_OPTIONS, EventOptions, option_problems
from pacta.core.models import ColumnMapping


def _errors(name: str, mapping: dict[str, str], options: dict[str, Any], instance: ColumnMapping | None
            ) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the mapping a name.")]
    elif ColumnMapping.objects.filter(name=name.strip()).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["name"] = [_("A mapping of that name exists already.")]
    for key in mapping:
        if key not in CANONICAL_COLUMNS:
            errors.setdefault(key, []).append(_("Not a column of an event file."))
    for key in options:
        if key not in MAPPING_OPTIONS:
            errors.setdefault(key, []).append(_("Not an option of a column mapping."))
    for key in (options.get("defaults") or {}):
        if key not in CANONICAL_COLUMNS:
            errors.setdefault("defaults", []).append(
                _("%(column)s is not a column of an event file.") % {"column": key})
    for key, message in option_problems(EventOptions.from_dict(options)).items():
        errors.setdefault(key, []).append(message)
    for key, value in [("name", name), *mapping.items(), *options.items()]:
        if _has_nul(key) or _has_nul(value):  # no database keeps it in text (PostgreSQL's jsonb neither)
            errors.setdefault(key, []).append(_("Text cannot contain the NUL character (\\u0000)."))
    return errors


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _clean_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options worth storing: what differs from reading a canonical file."""
    plain = EventOptions()
    return {k: v for k, v in options.items() if v not in (None, "", {}) and v != getattr(plain, k, None)}


@transaction.atomic
def do_save_column_mapping(*, acting_user, name: str, mapping: dict[str, str], options: dict[str, Any],
                           instance: ColumnMapping | None = None) -> ColumnMapping:
    """Create a column mapping (`instance` None) or replace one's name, columns and options.

    `mapping` is {canonical column: file column} (empty file columns are left out);
    `options` those of `EventOptions` (defaults left out). Raises `RegisterError`
    keyed by field (a canonical column, an option, or "name").
    """
    mapping = {k: v.strip() for k, v in mapping.items() if v and v.strip()}
    options = _clean_options(options)
    errors = _errors(name, mapping, options, instance)
    if errors:
        raise RegisterError(errors)
    if instance is None:
        saved = ColumnMapping.objects.create(name=name.strip(), mapping=mapping, options=options)
        audit(acting_user, "create_column_mapping", saved, changes={"mapping": mapping, "options": options})
        return saved
    changes = {field: [getattr(instance, field), value] for field, value in
               (("name", name.strip()), ("mapping", mapping), ("options", options)) if getattr(instance, field) != value}
    if changes:
        instance.name, instance.mapping, instance.options = name.strip(), mapping, options
        instance.save()
        audit(acting_user, "change_column_mapping", instance, changes=changes)
    return instance


@transaction.atomic
def do_delete_column_mapping(instance: ColumnMapping, *, acting_user) -> None:
    """Delete a saved mapping (events read with it stay as they are)."""
    audit(acting_user, "delete_column_mapping", instance,
          changes={"mapping": instance.mapping, "options": instance.options})
    instance.delete()


__all__ = ["do_delete_column_mapping", "do_save_column_mapping"]
