"""The forms of the import pages: an agreement file, an event file with its
mapping and source, and a saved column mapping (one input per canonical column)."""

from __future__ import annotations

import codecs
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from pacta.core.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from pacta.core.models import ColumnMapping
from pacta.lib.uploads import UploadRefused, check_import_file, upload_problem

from .forms import Form

SOURCE_RE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


def max_upload_bytes() -> int:
    """The largest file the import pages take (0: no limit)."""
    return int(getattr(settings, "PACTA_MAX_UPLOAD_BYTES", 0) or 0)


class GuardedUploadForm(Form):
    """A form with a file input `file` no larger than `limit()`.

    Given the `request`, it tells what `pacta.lib.uploads.UploadGuard` saw: a
    file that did not arrive whole, or past the largest upload (Django drops
    both, and the form would only say that the field is required)."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def limit(self) -> int:
        return max_upload_bytes()

    def too_large(self, upload) -> forms.ValidationError:
        return forms.ValidationError(
            _("The file is %(size)s; the largest file taken here is %(limit)s."),
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(self.limit())}, code="too_large")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if self.limit() and upload.size > self.limit():
            raise self.too_large(upload)
        return upload

    def clean(self):
        data = super().clean()
        problem = upload_problem(self.request, "file", self.limit()) if self.request is not None else None
        if problem is not None:
            self._errors.pop("file", None)  # "This field is required." would hide what happened
            self.add_error("file", forms.ValidationError(problem[1], code=problem[0]))
        return data


class UploadForm(GuardedUploadForm):
    """An import file no larger than `PACTA_MAX_UPLOAD_BYTES`, of one of `suffixes`, whose content is what
    its extension says (pacta.lib.uploads.check_import_file); its rows are checked by the import."""

    suffixes: tuple[str, ...] = ()

    def too_large(self, upload) -> forms.ValidationError:
        return forms.ValidationError(
            _("The file is %(size)s; the largest file the import takes is %(limit)s. Split it, or import it "
              "on the command line with pacta import."),
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(self.limit())}, code="too_large")

    def clean_file(self):
        upload = super().clean_file()
        if self.suffixes and not upload.name.lower().endswith(self.suffixes):
            raise forms.ValidationError(_("Choose a %(kinds)s file."), params={"kinds": " / ".join(self.suffixes)},
                                        code="suffix")
        return upload

    def encoding(self) -> str | None:
        """The encoding the file is read with, when not UTF-8."""
        return None

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None and "file" not in self._errors:
            try:
                check_import_file(upload, upload.name, encoding=self.encoding())
            except UploadRefused as exc:
                self.add_error("file", forms.ValidationError(exc.message, code=exc.code))
        return data


class AgreementFileForm(UploadForm):
    suffixes = (".yaml", ".yml")
    file = forms.FileField(label=_("Agreement file (YAML)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
                           help_text=_("The format of docs/agreement-files.md, e.g. a file downloaded here."))


class EventFileForm(UploadForm):
    suffixes = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
    file = forms.FileField(label=_("Event file (CSV or XLSX)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}))
    mapping = forms.ModelChoiceField(
        label=_("Column mapping"), queryset=ColumnMapping.objects.all(), required=False,
        empty_label=_("none: the file has the canonical columns"),
        help_text=_("For a file of another layout, the saved mapping that says which column holds what."))
    source = forms.CharField(
        label=_("Source"), initial="import", max_length=64, validators=[RegexValidator(SOURCE_RE)],
        help_text=_("Where the events come from, e.g. erp. Ids are unique per source: importing the same file "
                    "again with the same source adds nothing."))

    def encoding(self) -> str | None:
        mapping = self.cleaned_data.get("mapping")
        return (mapping.options or {}).get("encoding") if mapping is not None else None


DELIMITERS = [("", _("guess from the header line")), (",", _("comma ,")), (";", _("semicolon ;")),
              ("tab", _("tab")), ("|", _("vertical bar |"))]
TAB = "\t"  # the option's value; the form says "tab", which survives an HTML attribute


def _file_column_field(canonical: str) -> forms.CharField:
    return forms.CharField(label=canonical, required=False, max_length=200,
                           help_text=_("Required: the file must have it, or give a default.")
                           if canonical in REQUIRED_COLUMNS else "")


class ColumnMappingForm(Form):
    """A mapping's name, the file column that feeds each canonical column, and how to read values.

    `mapping_data()` and `options_data()` give what `do_save_column_mapping` takes."""

    name = forms.CharField(label=_("name"), max_length=100)
    delimiter = forms.ChoiceField(label=_("delimiter"), choices=DELIMITERS, required=False)
    decimal_comma = forms.BooleanField(label=_("decimal comma"), required=False,
                                       help_text=_("1.234,5 means 1234.5."))
    date_format = forms.CharField(label=_("date format"), required=False, max_length=50,
                                  help_text=_("A strftime format, e.g. %d.%m.%Y; ISO dates are read as well."))
    datetime_format = forms.CharField(label=_("date and time format"), required=False, max_length=50,
                                      help_text=_("e.g. %d.%m.%Y %H:%M (with %z if it has an offset)."))
    timezone = forms.CharField(label=_("time zone"), required=False, max_length=64,
                               help_text=_("The IANA zone of times written without an offset, e.g. Europe/Berlin."))
    defaults = forms.CharField(
        label=_("defaults"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, column=value: the value when the file's is empty or absent, e.g. currency=EUR."))
    encoding = forms.CharField(label=_("encoding"), required=False, max_length=30,
                               help_text=_("When the file is not UTF-8, e.g. cp1252."))
    sheet = forms.CharField(label=_("sheet"), required=False, max_length=100,
                            help_text=_("XLSX: the sheet to read; default the first."))

    column_prefix = "column_"

    def __init__(self, *args, instance: ColumnMapping | None = None, **kwargs):
        data = args[0] if args else kwargs.get("data")
        if instance is not None and data is None:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        for canonical in CANONICAL_COLUMNS:
            self.fields[self.column_prefix + canonical] = _file_column_field(canonical)

    def column_fields(self):
        return [self[self.column_prefix + c] for c in CANONICAL_COLUMNS]

    def option_fields(self):
        return [self[n] for n in ("delimiter", "decimal_comma", "date_format", "datetime_format", "timezone",
                                  "defaults", "encoding", "sheet")]

    @classmethod
    def initial_from(cls, instance: ColumnMapping) -> dict[str, Any]:
        options = dict(instance.options or {})
        defaults = options.pop("defaults", {}) or {}
        if options.get("delimiter") == TAB:
            options["delimiter"] = "tab"
        return {
            "name": instance.name, **options,
            "defaults": "\n".join(f"{k}={v}" for k, v in defaults.items()),
            **{cls.column_prefix + k: v for k, v in (instance.mapping or {}).items()},
        }

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        if value:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(_("Unknown time zone: %(tz)s."), params={"tz": value}) from None
        return value

    def clean_encoding(self):
        value = self.cleaned_data["encoding"].strip()
        if value:
            try:
                codecs.lookup(value)
            except LookupError:
                raise forms.ValidationError(_("Unknown encoding: %(name)s."), params={"name": value}) from None
        return value

    def clean_defaults(self) -> dict[str, str]:
        defaults, problems = {}, []
        for number, line in enumerate(self.cleaned_data["defaults"].splitlines(), start=1):
            if not line.strip():
                continue
            column, sep, value = line.partition("=")
            column = column.strip()
            if not sep or column not in CANONICAL_COLUMNS:
                problems.append(forms.ValidationError(
                    _("Line %(number)s: write column=value, with one of the columns %(names)s."),
                    params={"number": number, "names": ", ".join(CANONICAL_COLUMNS)}))
            else:
                defaults[column] = value.strip()
        if problems:
            raise forms.ValidationError(problems)
        return defaults

    def clean(self):
        data = super().clean()
        mapping = self.mapping_data() if not self._errors else {}
        defaults = data.get("defaults") or {}
        if not self._errors and not mapping and not defaults:
            raise forms.ValidationError(_("Say for at least one column which file column feeds it."))
        return data

    def mapping_data(self) -> dict[str, str]:
        return {c: self.cleaned_data.get(self.column_prefix + c, "").strip() for c in CANONICAL_COLUMNS
                if self.cleaned_data.get(self.column_prefix + c, "").strip()}

    def options_data(self) -> dict[str, Any]:
        options = {n: self.cleaned_data.get(n) for n in ("delimiter", "decimal_comma", "date_format",
                                                          "datetime_format", "timezone", "defaults", "encoding", "sheet")}
        if options["delimiter"] == "tab":
            options["delimiter"] = TAB
        return options
