"""Forms generated from a commitment type's parameter schema.

A type's `Params` (a pydantic model, `pacta.core.commitments`) is read once into
a tree of `ParamSpec`; from that tree come the Django form (`params_form`),
the form's initial values (`initial_for`), the parameters handed to the
register (`ParamsForm.params`), the placement of the register's located
errors on the right input (`ParamsForm.add_param_error`) and the readable
display of stored terms (`describe_params`).

How schema types become inputs: int and Decimal -> number fields (localised),
bool -> checkbox, timedelta -> text taking an ISO 8601 duration, time -> time
field, date -> date field, "date or moment" -> text, enum -> select, list of
enums -> checkboxes, a nested model -> a fieldset of prefixed fields with an
"applies" checkbox when it is optional, a list of nested models -> a table
of rows (`<name>__<row>__<field>`) with a hidden row count and an "add row"
button.

The schemas' `description`s are English; the words people read come from
`TEXTS` below (translatable), looked up by schema class and data key along
the class's bases. A test checks that every field of every type has them.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, TypeAdapter

from pacta.core.commitments import REGISTRY, get_type, validate_params
from pacta.core.models import Event

from .formatting import duration_words, number
from .forms import Form, date_widget, time_widget

SEP = "__"


@dataclass(frozen=True)
class Text:
    label: Promise
    help: Promise | str = ""


# Labels and help texts of every parameter, by schema class name, then data
# key (the alias where there is one: "from"). Inherited fields are found on
# the base class (PeriodParams).
TEXTS: dict[str, dict[str, Text]] = {
    "PeriodParams": {
        "period": Text(_("Period"), _("Calendar year, quarter, month or week.")),
        "align": Text(_("Periods counted"), _("Calendar periods, or periods counted from the agreement's start.")),
        "basis": Text(_("What counts"), _("Which events count: invoices, orders or deliveries.")),
    },
    "AgreedPriceParams": {
        "price": Text(_("Agreed price"), _("The agreed price per unit.")),
        "discount": Text(_("Discount (%)"), _("Or: at least this discount off list, in percent.")),
        "tolerance": Text(_("Tolerance"), _("Allowed difference per unit.")),
    },
    "ConditionalPriceParams": {
        "price": Text(_("Special price"), _("The special price per unit.")),
        "list_price": Text(_("Otherwise"), _("The price that applies otherwise; empty: the list price on the invoice lines.")),
        "volume": Text(_("Volume needed"), _("Quantity per period that the special price requires.")),
    },
    "DeadlineParams": {
        "kind": Text(_("Fulfilled by"), _("Which event fulfils it, e.g. attestation.")),
        "ref": Text(_("Reference"), _("Only an event with this reference counts.")),
        "due": Text(_("Due"), _("The date (inclusive) or moment it is due.")),
        "remind_before": Text(_("Remind before"), _("Tell the owners this long before.")),
    },
    "DeliveryWindowParams": {
        "weekdays": Text(_("Delivery days"), _("Days on which deliveries are allowed.")),
        "from": Text(_("From"), _("Earliest local time of a delivery, e.g. 07:00.")),
        "to": Text(_("To"), _("Latest local time of a delivery, e.g. 12:00 (inclusive).")),
        "timezone": Text(_("Time zone"), _("Time zone of the window; empty: the agreement's.")),
    },
    "NoticeBeforeDeliveryParams": {
        "min_before": Text(_("At least"), _("At least this long before the delivery, e.g. PT1H.")),
        "max_before": Text(_("At most"), _("At most this long before the delivery, e.g. PT24H; empty: any time before.")),
    },
    "Penalty": {
        "percent": Text(_("Percent"), _("Penalty in percent of the order's value per period of days late.")),
        "per_days": Text(_("Per days late"), _("Days late that one percentage covers.")),
        "cap_percent": Text(_("Cap (%)"), _("Cap in percent of the order's value.")),
        "per_started_period": Text(_("Started periods count"), _("Count every started period of days as a whole one.")),
        "partial_day_counts": Text(_("Started days count"), _("A started day late counts as a whole day.")),
        "force_majeure": Text(_("Force majeure excused"), _("No penalty on deliveries flagged as force majeure.")),
        "terminate_after_days": Text(_("Termination after (days)"), _("The other side may terminate when an order is later than this.")),
    },
    "OnTimeDeliveryParams": {
        "lead_days": Text(_("Lead time (days)"), _("Due = order date + this many days; empty: the order's own due date.")),
        "business_days": Text(_("Working days only"), _("Count only working days of the party's country.")),
        "grace_days": Text(_("Grace days"), _("Days after the due date that still count as on time.")),
        "target_rate": Text(_("Target (%)"), _("Share of orders on time per period, in percent.")),
        "period": Text(_("Period"), _("Period of the target rate.")),
        "penalty": Text(_("Penalty"), _("Penalty for late delivery.")),
    },
    "PaymentTermParams": {
        "days": Text(_("Days to pay"), _("Days to pay.")),
        "from": Text(_("Counted from"), _("Count from the invoice date or the end of its month.")),
        "interest_percent": Text(_("Interest (% a year)"), _("Interest per year on the unpaid amount (simple, actual/365).")),
        "fixed_fee": Text(_("Fixed fee"), _("Fixed fee for a late payment.")),
    },
    "RecurringParams": {
        "kind": Text(_("Kept by"), _("Which event keeps it: update, meeting, attestation, …")),
        "every": Text(_("Every"), _("At most this long between two events, e.g. P14D.")),
        "period": Text(_("Once per"), _("Or: at least one event per calendar period.")),
        "warn_before": Text(_("Warn before"), _("At risk this long before the next one is due.")),
        "ref": Text(_("Reference"), _("Only events with this reference count.")),
    },
    "BusinessHours": {
        "weekdays": Text(_("Working days"), _("Working days.")),
        "from": Text(_("From"), _("Start of the working day (local time).")),
        "to": Text(_("To"), _("End of the working day (local time).")),
    },
    "Credit": {
        "below": Text(_("Below (%)"), _("A month whose on-time share is strictly below this percentage…")),
        "percent": Text(_("Credit (%)"), _("…earns this percent of the monthly fee as service credit.")),
    },
    "ResponseTimeParams": {
        "within": Text(_("Answer within"), _("Time to answer, e.g. PT4H.")),
        "business_hours": Text(_("Business hours"), _("Count only working time.")),
        "target_rate": Text(_("Target (%)"), _("Share of tickets answered in time per period, in percent.")),
        "period": Text(_("Period"), _("Period of the target rate.")),
        "credits": Text(_("Service credits"), _("Service credits by on-time share.")),
        "monthly_fee": Text(_("Monthly fee"), _("The monthly fee the credits are taken from.")),
        "monthly_cap_percent": Text(_("Monthly cap (%)"), _("Cap on a month's credits in percent of the fee.")),
    },
    "VolumeCommitmentParams": {
        "measure": Text(_("Measured in"), _("Count quantities or amounts.")),
        "minimum": Text(_("Minimum"), _("The least volume per period.")),
        "maximum": Text(_("Maximum"), _("The most volume per period.")),
        "shortfall_fee": Text(_("Shortfall fee"), _("Fee per missing unit of measure below the minimum.")),
    },
    "Tier": {
        "from": Text(_("From"), _("Tier starts at this volume (inclusive).")),
        "rate": Text(_("Rate (%)"), _("Rebate in percent.")),
    },
    "VolumeRebateParams": {
        "measure": Text(_("Measured in"), _("Tiers measured in amount or quantity.")),
        "tiers": Text(_("Tiers"), _("The tiers, lowest first.")),
        "mode": Text(_("Mode"), _("Whole: the highest tier's rate on all turnover; marginal: each tier's rate on its part.")),
        "payout_days": Text(_("Paid within (days)"), _("Days after the period's end by which the rebate is paid.")),
    },
}

# Words for the values of the schemas' enums (event kinds come from the model).
CHOICE_LABELS: dict[str, Promise] = {
    **dict(Event.Kind.choices),
    "year": _("year"), "quarter": _("quarter"), "month": _("month"), "week": _("week"),
    "calendar": _("calendar periods"), "agreement": _("from the agreement's start"),
    "quantity": _("quantity"), "amount": _("amount"),
    "mon": _("Monday"), "tue": _("Tuesday"), "wed": _("Wednesday"), "thu": _("Thursday"),
    "fri": _("Friday"), "sat": _("Saturday"), "sun": _("Sunday"),
    "invoice_date": _("the invoice date"), "end_of_month": _("the end of the invoice's month"),
    "whole": _("whole"), "marginal": _("marginal"),
}

DURATION_HELP = _("An ISO 8601 duration: PT1H is one hour, PT30M thirty minutes, P14D fourteen days.")
MOMENT_HELP = _("A date such as 2025-03-01, or a moment with its offset such as 2025-03-01T17:00+01:00.")


# ---------------------------------------------------------------------------
# The schema as a tree


@dataclass
class ParamSpec:
    """One parameter: its data key, what kind of input it needs, its words."""

    key: str
    kind: str  # int decimal bool duration time date moment str enum enum_list model model_list
    label: Any
    help: Any
    required: bool
    optional: bool  # may be None
    default: Any = None  # as JSON data; None when there is none
    choices: tuple[str, ...] = ()
    children: list[ParamSpec] = field(default_factory=list)


def _unwrap(annotation) -> tuple[Any, bool]:
    """The annotation without Optional and Annotated, and whether None is allowed."""
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        rest = tuple(a for a in args if a is not type(None))
        optional = len(rest) < len(args)
        annotation = rest[0] if len(rest) == 1 else rest
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation, optional


def _kind(annotation) -> tuple[str, Any]:
    """The input kind of an unwrapped annotation, and the inner model or enum."""
    if isinstance(annotation, tuple):
        if set(annotation) <= {dt.date, dt.datetime}:
            return "moment", None
        raise TypeError(f"no form input for the union {annotation!r}")
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation)
        inner, _optional = _unwrap(inner)
        if isinstance(inner, type) and issubclass(inner, Enum):
            return "enum_list", inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "model_list", inner
        raise TypeError(f"no form input for a list of {inner!r}")
    simple = {bool: "bool", int: "int", Decimal: "decimal", dt.timedelta: "duration", dt.time: "time",
              dt.datetime: "moment", dt.date: "date", str: "str"}
    if annotation in simple:
        return simple[annotation], None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum", annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    raise TypeError(f"no form input for {annotation!r}")


def texts_for(model: type[BaseModel], key: str) -> Text | None:
    for cls in model.__mro__:
        text = TEXTS.get(cls.__name__, {}).get(key)
        if text is not None:
            return text
    return None


def _json_default(info, annotation) -> Any:
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True)
    if value is None:
        return None
    return TypeAdapter(annotation).dump_python(value, mode="json")


def schema_specs(model: type[BaseModel]) -> list[ParamSpec]:
    """The parameters of a schema, in schema order."""
    specs = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        annotation, optional = _unwrap(info.annotation)
        kind, inner = _kind(annotation)
        text = texts_for(model, key) or Text(key.replace("_", " "), info.description or "")
        specs.append(
            ParamSpec(
                key=key, kind=kind, label=text.label, help=text.help,
                required=info.is_required(), optional=optional,
                default=_json_default(info, info.annotation),
                choices=tuple(e.value for e in inner) if kind in ("enum", "enum_list") else (),
                children=schema_specs(inner) if kind in ("model", "model_list") else [],
            )
        )
    return specs


def type_specs(type_name: str) -> list[ParamSpec]:
    return schema_specs(get_type(type_name).Params)


# ---------------------------------------------------------------------------
# Inputs


class MomentField(forms.CharField):
    """A date (2025-03-01) or a moment with its offset (2025-03-01T17:00+01:00)."""

    default_error_messages = {"invalid": MOMENT_HELP}

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        try:
            parsed = parse_date(value) if len(value) <= 10 else parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or (isinstance(parsed, dt.datetime) and parsed.tzinfo is None):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _choice(value: str) -> tuple[str, Any]:
    return value, CHOICE_LABELS.get(value, value)


def _help(spec: ParamSpec):
    if spec.kind == "duration":
        return _join(spec.help, DURATION_HELP)
    if spec.kind == "moment":
        return _join(spec.help, MOMENT_HELP)
    return spec.help


def _join(first, second) -> str:
    return f"{first} {second}" if first else str(second)


def _form_field(spec: ParamSpec, required: bool, label=None) -> forms.Field:
    """The Django field for one scalar parameter."""
    common = {"label": label or spec.label, "help_text": _help(spec), "required": required and spec.kind != "bool"}
    kind = spec.kind
    if kind == "int":
        return forms.IntegerField(**common)
    if kind == "decimal":
        return forms.DecimalField(localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == "bool":
        return forms.BooleanField(**common)
    if kind == "duration":
        return forms.CharField(widget=forms.TextInput(attrs={"placeholder": "PT1H", "spellcheck": "false"}), **common)
    if kind == "time":
        return forms.TimeField(widget=time_widget(), **common)
    if kind == "date":
        return forms.DateField(widget=date_widget(), **common)
    if kind == "moment":
        return MomentField(widget=forms.TextInput(attrs={"placeholder": "2025-03-01"}), **common)
    if kind == "enum":
        blank = [("", "—")] if spec.optional or spec.default is None else []
        return forms.ChoiceField(choices=blank + [_choice(c) for c in spec.choices], **common)
    if kind == "enum_list":
        common["required"] = False  # an empty choice is the schema's to refuse
        return forms.MultipleChoiceField(
            choices=[_choice(c) for c in spec.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(**common)


# ---------------------------------------------------------------------------
# The form


class ParamsForm(Form):
    """The parameters of one commitment type. Built by `params_form`; not used directly."""

    type_name: str = ""
    specs: list[ParamSpec] = []
    rows: dict[str, int] = {}  # rows of each table

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._row_index: dict[str, list[int]] = {}
        self.params: dict[str, Any] | None = None

    # -- reading what was typed

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned  # the inputs' own errors first; the schema's would repeat them
        self._row_index = {}
        data = self._collect(self.specs, "")
        _params, errors = validate_params(self.type_name, data)
        for error in errors:
            self.add_param_error(error.field, error.message)
        if not errors:
            self.params = data
        return cleaned

    def _collect(self, specs: list[ParamSpec], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            name = prefix + spec.key
            if spec.kind == "model":
                if not spec.optional or self.cleaned_data.get(name + SEP + "use"):
                    out[spec.key] = self._collect(spec.children, name + SEP)
            elif spec.kind == "model_list":
                rows, used = [], []
                for i in range(self.cleaned_data.get(name + SEP + "rows") or 0):
                    row = self._collect(spec.children, f"{name}{SEP}{i}{SEP}")
                    if any(v not in (None, "", False, []) for v in row.values()):
                        rows.append(row)
                        used.append(i)
                self._row_index[name] = used
                out[spec.key] = rows
            else:
                value = self.cleaned_data.get(name)
                if spec.kind in ("bool", "enum_list") or value not in (None, ""):
                    out[spec.key] = value
        return out

    # -- errors of the register, next to their input

    def field_for_path(self, path: str) -> str | None:
        """The input that shows an error at `path` ("penalty.percent", "tiers.1.from"); None: the whole form."""
        specs, prefix, target = self.specs, "", None
        segments = iter(path.split(".") if path else [])
        for segment in segments:
            spec = next((s for s in specs if s.key == segment), None)
            if spec is None:
                break
            name = prefix + spec.key
            if spec.kind == "model":
                target = name + SEP + "use" if spec.optional else target
                specs, prefix = spec.children, name + SEP
            elif spec.kind == "model_list":
                target = name + SEP + "rows"
                position = next(segments, "")
                rows = self._row_index.get(name, [])
                if not position.isdigit() or int(position) >= len(rows):
                    break
                specs, prefix = spec.children, f"{name}{SEP}{rows[int(position)]}{SEP}"
            else:
                target = name
                break
        return target if target in self.fields else None

    def add_param_error(self, path: str, message: str) -> None:
        target = self.field_for_path(path)
        if target is not None and target in self.errors and message in self.errors[target]:
            return  # a union's alternatives repeat the same complaint
        self.add_error(target, message)

    # -- what the template walks

    def layout(self) -> list[dict[str, Any]]:
        """Top-level inputs, fieldsets of nested models and tables of rows, in schema order."""
        items = []
        for spec in self.specs:
            if spec.kind == "model":
                items.append({
                    "type": "group", "spec": spec, "name": spec.key,
                    "toggle": self[spec.key + SEP + "use"] if spec.optional else None,
                    "fields": [self[spec.key + SEP + c.key] for c in spec.children],
                })
            elif spec.kind == "model_list":
                rows_field = self[spec.key + SEP + "rows"]
                count = self.rows.get(spec.key, 0)
                items.append({
                    "type": "table", "spec": spec, "name": spec.key, "rows_field": rows_field,
                    "add_row": self.add_prefix(spec.key + SEP + "rows"),
                    "columns": spec.children,
                    "rows": [[self[f"{spec.key}{SEP}{i}{SEP}{c.key}"] for c in spec.children] for i in range(count)],
                })
            else:
                items.append({"type": "field", "field": self[spec.key]})
        return items


def _add_fields(fields: dict[str, forms.Field], specs: list[ParamSpec], rows: dict[str, int]) -> None:
    for spec in specs:
        if spec.kind == "model":
            if spec.optional:
                fields[spec.key + SEP + "use"] = forms.BooleanField(
                    required=False, label=_("Applies"), help_text=spec.help,
                    widget=forms.CheckboxInput(attrs={"data-toggles": f"{spec.key}-fields"}),
                )
            for child in spec.children:
                fields[spec.key + SEP + child.key] = _form_field(child, required=False)
        elif spec.kind == "model_list":
            fields[spec.key + SEP + "rows"] = forms.IntegerField(
                required=False, min_value=0, max_value=100, widget=forms.HiddenInput, label=spec.label
            )
            for i in range(rows.get(spec.key, 0)):
                for child in spec.children:
                    label = _("%(label)s, row %(n)s") % {"label": child.label, "n": i + 1}
                    cell = _form_field(child, required=False, label=label)
                    cell.widget.attrs["aria-label"] = label  # the column header is the visible label
                    cell.help_text = ""  # and carries the help
                    fields[f"{spec.key}{SEP}{i}{SEP}{child.key}"] = cell
        else:
            fields[spec.key] = _form_field(spec, required=spec.required)


def _rows_in(data, prefix: str, specs: list[ParamSpec]) -> dict[str, int]:
    """How many rows each table has in submitted data (its hidden count)."""
    rows = {}
    for spec in specs:
        if spec.kind == "model_list":
            raw = data.get(f"{prefix}-{spec.key}{SEP}rows" if prefix else f"{spec.key}{SEP}rows")
            rows[spec.key] = min(int(raw), 100) if raw and str(raw).isdigit() else 0
    return rows


def params_form(type_name: str, data=None, *, initial_params: dict | None = None, prefix: str = "p",
                add_row: str | None = None) -> ParamsForm:
    """The parameter form of a type: bound to `data` when given, else filled from
    `initial_params` (stored JSON data) or the schema's defaults.

    `add_row` (a table's key) gives that table one more empty row.
    """
    specs = type_specs(type_name)
    if data is not None:
        rows = _rows_in(data, prefix, specs)
        initial = {}
    else:
        initial, rows = initial_for(specs, initial_params)
    if add_row in rows:
        rows[add_row] += 1
    fields: dict[str, forms.Field] = {}
    _add_fields(fields, specs, rows)
    cls = type(f"{type_name.title().replace('_', '')}ParamsForm", (ParamsForm,), {
        **fields, "type_name": type_name, "specs": specs, "rows": rows,
    })
    if data is not None and add_row in rows:
        data = data.copy()
        data[f"{prefix}-{add_row}{SEP}rows"] = str(rows[add_row])
    return cls(data=data, initial=initial, prefix=prefix)


def initial_for(specs: list[ParamSpec], params: dict | None) -> tuple[dict[str, Any], dict[str, int]]:
    """Form initial values and table row counts from stored parameters (None: a new commitment)."""
    initial: dict[str, Any] = {}
    rows: dict[str, int] = {}
    _fill(initial, rows, specs, params or {}, "")
    return initial, rows


def _fill(initial, rows, specs, params, prefix) -> None:
    # Stored parameters leave out what equals the default (`params_to_data`),
    # so a missing key shows the default, for a new commitment and an old one.
    for spec in specs:
        name = prefix + spec.key
        if spec.kind == "model":
            present = spec.key in params
            if spec.optional:
                initial[name + SEP + "use"] = present
            # Defaults fill the fieldset so that ticking "applies" starts from them.
            _fill(initial, rows, spec.children, params.get(spec.key) or {}, name + SEP)
        elif spec.kind == "model_list":
            values = params.get(spec.key) or []
            rows[spec.key] = len(values) + 1  # one empty row to add another
            initial[name + SEP + "rows"] = rows[spec.key]
            for i, row in enumerate(values):
                _fill(initial, rows, spec.children, row, f"{name}{SEP}{i}{SEP}")
        elif spec.key in params:
            initial[name] = _python(spec, params[spec.key])
        elif spec.default is not None:
            initial[name] = _python(spec, spec.default)


def _python(spec: ParamSpec, value: Any) -> Any:
    """Stored JSON data as the value a form input shows."""
    if value is None:
        return None
    if spec.kind == "decimal":
        return Decimal(str(value))
    if spec.kind == "time":
        return dt.time.fromisoformat(value) if isinstance(value, str) else value
    if spec.kind == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    return value


# ---------------------------------------------------------------------------
# Reading stored terms


def describe_params(type_name: str, params: dict | None) -> list[dict[str, Any]]:
    """Stored parameters for people: [{"label", "value"}], or {"label", "group": [...]} for a
    nested model, or {"label", "columns", "rows"} for a list of them.

    Values the terms leave at their default are shown too, so that a reader sees every rule.
    A type the registry does not know (any more) shows its stored values as they are.
    """
    if type_name not in REGISTRY:
        return [{"label": key, "value": str(value)} for key, value in (params or {}).items()]
    return _describe(type_specs(type_name), params or {}, defaults=True)


def _describe(specs, params, *, defaults: bool) -> list[dict[str, Any]]:
    out = []
    for spec in specs:
        if spec.key not in params and (spec.kind == "model" or spec.default is None or not defaults):
            continue
        value = params.get(spec.key, spec.default)
        if spec.kind == "model":
            out.append({"label": spec.label, "group": _describe(spec.children, value or {}, defaults=True)})
        elif spec.kind == "model_list":
            if value:
                out.append({"label": spec.label, "columns": [c.label for c in spec.children],
                            "rows": [[display_value(c, row.get(c.key, c.default)) for c in spec.children]
                                     for row in value]})
        else:
            out.append({"label": spec.label, "value": display_value(spec, value)})
    return out


def display_value(spec: ParamSpec, value: Any) -> str:
    """One stored value in words: choices by their label, numbers localised, durations in words."""
    if value is None or value == "":
        return "—"
    if spec.kind == "bool":
        return str(_("yes") if value else _("no"))
    if spec.kind == "enum":
        return str(CHOICE_LABELS.get(value, value))
    if spec.kind == "enum_list":
        return ", ".join(str(CHOICE_LABELS.get(v, v)) for v in value)
    if spec.kind in ("decimal", "int"):
        return number(value)
    if spec.kind == "duration":
        try:
            return f"{duration_words(TypeAdapter(dt.timedelta).validate_python(value))} ({value})"
        except ValueError:
            return str(value)
    if spec.kind == "time":
        return str(value)[:5]
    return str(value)
