"""What every list page does the same way: sort by a column, page, export CSV or XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst

from pacta.lib.tabular import safe_cell


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    """One column of a CSV export: its header and how to read it from a row."""

    header: Any
    value: Callable[[Any], Any]


def _cell(value: Any) -> str:
    """CSV cells are for machines too: ISO dates, plain decimals, no thousands separators."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _xlsx_cell(value: Any) -> Any:
    """Spreadsheet cells keep numbers and dates as such; a moment is written in the reader's time zone."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, (bool, int, Decimal, dt.date)):
        return value
    return str(value)


def xlsx_response(filename: str, columns: list[Column], rows: Iterable[Any]) -> HttpResponse:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([capfirst(str(c.header)) for c in columns])
    for row in rows:
        sheet.append([safe_cell(_xlsx_cell(c.value(row))) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(filename: str, columns: list[Column], rows: Iterable[Any]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([capfirst(str(c.header)) for c in columns])
    for row in rows:
        writer.writerow([_cell(safe_cell(c.value(row))) for c in columns])
    return response


class Listing:
    """One page of a filtered queryset, sorted by `?sort=<name>` (`-<name>`: descending).

    `sorts` maps a sort name to the fields it orders by; an unknown name falls
    back to `default`.
    """

    def __init__(self, request, queryset, *, sorts: dict[str, tuple[str, ...]], default: str, per_page: int = 50):
        self.request = request
        wanted = request.GET.get("sort", default)
        name = wanted.lstrip("-")
        if name not in sorts:
            wanted, name = default, default.lstrip("-")
        self.sort, self.descending = name, wanted.startswith("-")
        order = [self._flip(f) if self.descending else f for f in sorts[name]]
        self.queryset = queryset.order_by(*order, "pk")
        self.paginator = Paginator(self.queryset, per_page)
        self.page = self.paginator.get_page(request.GET.get("page"))

    @staticmethod
    def _flip(field: str) -> str:
        return field[1:] if field.startswith("-") else "-" + field

    def url(self, **changes) -> str:
        """This list's URL with some query parameters changed (None removes one)."""
        query = self.request.GET.copy()
        for key, value in changes.items():
            query.pop(key, None)
            if value is not None:
                query[key] = str(value)
        return "?" + urlencode(sorted(query.lists()), doseq=True) if query else "?"

    def header(self, name: str) -> dict[str, Any]:
        """What a sortable column header needs: the link and its aria-sort."""
        active = name == self.sort
        if active:
            aria = "descending" if self.descending else "ascending"
            target = name if self.descending else "-" + name
        else:
            aria, target = None, name
        return {"url": self.url(sort=target, page=None), "aria_sort": aria, "active": active}

    def export(self, name: str, columns: list[Column]) -> HttpResponse:
        """The whole filtered, sorted list (not only this page) as `<name>.csv` or `<name>.xlsx`."""
        rows = self.queryset.iterator(chunk_size=2000)
        if self.export_format == "xlsx":
            return xlsx_response(f"{name}.xlsx", columns, rows)
        return csv_response(f"{name}.csv", columns, rows)

    @property
    def export_format(self) -> str | None:
        wanted = self.request.GET.get("format")
        return wanted if wanted in ("csv", "xlsx") else None

    @property
    def previous_url(self) -> str | None:
        return self.url(page=self.page.previous_page_number()) if self.page.has_previous() else None

    @property
    def next_url(self) -> str | None:
        return self.url(page=self.page.next_page_number()) if self.page.has_next() else None

    def csv_url(self) -> str:
        return self.url(format="csv", page=None)

    def xlsx_url(self) -> str:
        return self.url(format="xlsx", page=None)
