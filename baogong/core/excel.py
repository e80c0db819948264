"""Excel in and out (openpyxl). Imports are all-or-nothing with a per-row error list."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from baogong.core.errors import ValidationFailed

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_ROWS = 200_000


class ImportFailed(ValidationFailed):
    code = "import_failed"
    default_message = gettext_lazy("The file has errors; nothing was imported.")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the header text in the template (Chinese / English)
    required: bool = False
    parse: Callable[[Any], Any] | None = None
    example: Any = ""


def normalise_text(value: Any) -> str:
    """Full-width digits and spaces to half-width, trimmed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.strip()


def parse_decimal(value: Any) -> decimal.Decimal:
    text = normalise_text(value).replace(",", "")
    try:
        result = decimal.Decimal(text)
    except decimal.InvalidOperation as exc:
        raise ValueError(_("not a number")) from exc
    if not result.is_finite() or abs(result) >= decimal.Decimal("1e15"):
        raise ValueError(_("number out of range"))
    return result


def parse_int(value: Any) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(_("not a whole number"))
    return int(number)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalise_text(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("not a date (YYYY-MM-DD)")) from exc


def read_rows(file: Any, columns: Sequence[Column]) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Parse the first sheet: ``(rows, errors)``; each row is ``(row_number, values)``.

    Headers are matched by the template's header text or by the column key. Formulas are
    refused (their cached value is not trustworthy) rather than evaluated.
    """
    errors: list[dict[str, Any]] = []
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's error
        raise ImportFailed(_("The file is not a readable .xlsx workbook."), details={"file": [str(exc)[:200]]}) from exc
    sheet = workbook.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        header_row = next(rows_iter)
    except StopIteration as exc:
        raise ImportFailed(_("The sheet is empty."), details={"rows": []}) from exc
    headers = [normalise_text(h) for h in header_row]
    index: dict[str, int] = {}
    for column in columns:
        for i, header in enumerate(headers):
            if (
                header in (column.header, column.key)
                or header.split("/")[0].strip() == column.header.split("/")[0].strip()
            ):
                index[column.key] = i
                break
    missing = [c.header for c in columns if c.required and c.key not in index]
    if missing:
        raise ImportFailed(
            _("Required columns are missing: %(columns)s") % {"columns": ", ".join(missing)},
            details={"rows": [{"row": 1, "field": m, "message": _("column missing")} for m in missing]},
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(rows_iter, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise ImportFailed(_("Too many rows (at most %(n)d).") % {"n": MAX_IMPORT_ROWS})
        if raw is None or all(v is None or normalise_text(v) == "" for v in raw):
            continue
        values: dict[str, Any] = {}
        for column in columns:
            position = index.get(column.key)
            cell = raw[position] if position is not None and position < len(raw) else None
            if isinstance(cell, str) and cell.startswith("="):
                errors.append({"row": number, "field": column.key, "message": _("formulas are not accepted")})
                continue
            if cell is None or (isinstance(cell, str) and normalise_text(cell) == ""):
                if column.required:
                    errors.append({"row": number, "field": column.key, "message": _("required")})
                values[column.key] = None
                continue
            try:
                values[column.key] = column.parse(cell) if column.parse else normalise_text(cell)
            except (ValueError, TypeError) as exc:
                errors.append({"row": number, "field": column.key, "message": str(exc)})
        rows.append((number, values))
    workbook.close()
    return rows, errors


def raise_if_errors(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise ImportFailed(details={"rows": errors})


def workbook_bytes(
    title: str, columns: Sequence[Column] | Sequence[str], rows: Iterable[Sequence[Any]], *, notes: Sequence[str] = ()
) -> bytes:
    """One-sheet workbook with a bold header row (and an optional notes sheet)."""
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    headers = [c.header if isinstance(c, Column) else str(c) for c in columns]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(header) * 2 + 2))
    sheet.freeze_panes = "A2"
    if notes:
        notes_sheet = workbook.create_sheet("说明 Notes")
        for note in notes:
            notes_sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value == value.quantize(decimal.Decimal("0.0001")) else str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value
