"""Excel in and out (openpyxl). Imports are all-or-nothing with a per-row error list."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import unicodedata
import zipfile
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
MAX_REPORTED_ERRORS = 1_000  # the report lists the first ones and says how many there are
# A workbook is a zip: refuse one that would inflate past these before openpyxl reads it.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed for members above 1 MB (a zip bomb's shape)
# Zero-width characters NFKC keeps; a cell of only these is empty.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# User text that a spreadsheet would run as a formula (or DDE) when it starts a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Plain cell values openpyxl yields; anything else (array/data-table formulas…) is refused.
_PLAIN = (str, int, float, decimal.Decimal, dt.date, dt.datetime, dt.time)
# Text refused on import: a formula, or a DDE payload (``+cmd|' /C calc'!A0``, ``@SUM(..)|..``).
_FORMULA_TEXT = re.compile(r"^(=|[+\-@].*\|)", re.DOTALL)


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
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE)
    return text.strip()


def parse_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool):
        raise ValueError(_("not a number"))
    text = normalise_text(value).replace(",", "").replace(" ", "")
    if len(text) > 64:
        raise ValueError(_("number out of range"))
    try:
        result = decimal.Decimal(text)
    except (decimal.InvalidOperation, ValueError) as exc:
        raise ValueError(_("not a number")) from exc
    if not result.is_finite() or abs(result) >= decimal.Decimal("1e15"):
        raise ValueError(_("number out of range"))
    return result


def parse_int(value: Any) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(_("not a whole number"))
    return int(number)


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_count(value: Any) -> int:
    """A whole number, zero or more (people, units, days)."""
    number = parse_int(value)
    if number < 0:
        raise ValueError(_("cannot be negative"))
    return number


def parse_date(value: Any) -> dt.date:
    """A date cell, or text in year-month-day order: 2022-04-01, 2022/4/1, 2022.4.1,
    2022年4月1日, 20220401 (also with a time after it). Day-first or month-first text such as
    01/04/2022 is ambiguous and refused."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalise_text(value)
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if match is None:
        raise ValueError(_("not a date (YYYY-MM-DD)"))
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(_("not a date (YYYY-MM-DD)")) from exc


def _check_container(file: Any) -> None:
    """Refuse what is not an xlsx zip, or would inflate past the limits, before parsing it."""
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if "[Content_Types].xml" not in {m.filename for m in members}:
                raise zipfile.BadZipFile("no [Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFailed(
            _("The file is not a readable .xlsx workbook."),
            details={"rows": [{"row": 0, "field": "file", "message": _("not an .xlsx workbook")}]},
        ) from exc
    finally:
        if hasattr(file, "seek"):
            file.seek(0)
    total = sum(m.file_size for m in members)
    bomb = any(m.file_size > 1024 * 1024 and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1) for m in members)
    if len(members) > MAX_ZIP_ENTRIES or total > MAX_UNZIPPED_BYTES or bomb:
        raise ImportFailed(
            _("The workbook is too large or too highly compressed to be read safely."),
            details={"rows": [{"row": 0, "field": "file", "message": _("file too large when unpacked")}]},
        )


def read_rows(file: Any, columns: Sequence[Column]) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Parse the first sheet: ``(rows, errors)``; each row is ``(row_number, values)``.

    Headers are matched by the template's header text or by the column key. Formulas are
    refused (their cached value is not trustworthy) rather than evaluated.
    """
    errors: list[dict[str, Any]] = []
    _check_container(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header_row = next(rows_iter, None)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's error
        raise ImportFailed(
            _("The file is not a readable .xlsx workbook."),
            details={"rows": [{"row": 0, "field": "file", "message": str(exc)[:200]}]},
        ) from exc
    if header_row is None:
        raise ImportFailed(_("The sheet is empty."), details={"rows": []})
    headers = [normalise_text(h) for h in header_row]
    index: dict[str, int] = {}
    for column in columns:
        wanted = normalise_text(column.header)
        for i, header in enumerate(headers):
            if i in index.values():
                continue
            if header in (wanted, column.key) or header.split("/")[0].strip() == wanted.split("/")[0].strip():
                index[column.key] = i
                break
    missing = [c.header for c in columns if c.required and c.key not in index]
    if missing:
        raise ImportFailed(
            _("Required columns are missing: %(columns)s") % {"columns": ", ".join(missing)},
            details={"rows": [{"row": 1, "field": m, "message": _("column missing")} for m in missing]},
        )
    # A column the import does not know (renamed, misspelt, added) would be dropped in silence.
    used = set(index.values())
    unknown = [h for i, h in enumerate(headers) if h and i not in used]
    if unknown:
        raise ImportFailed(
            _("Unknown columns: %(columns)s") % {"columns": ", ".join(unknown)},
            details={"rows": [{"row": 1, "field": h, "message": _("unknown column")} for h in unknown]},
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for number, raw in enumerate(rows_iter, start=2):
            if number - 1 > MAX_IMPORT_ROWS:
                workbook.close()
                raise ImportFailed(
                    _("Too many rows (at most %(n)d).") % {"n": MAX_IMPORT_ROWS},
                    details={"rows": [{"row": number, "field": "", "message": _("too many rows")}]},
                )
            if raw is None or all(v is None or normalise_text(v) == "" for v in raw):
                continue
            rows.append((number, _row_values(number, raw, columns, index, errors)))
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part is the user's error
        raise ImportFailed(
            _("The file is not a readable .xlsx workbook."),
            details={"rows": [{"row": len(rows) + 2, "field": "file", "message": str(exc)[:200]}]},
        ) from exc
    workbook.close()
    return rows, errors


def _row_values(
    number: int, raw: Sequence[Any], columns: Sequence[Column], index: dict[str, int], errors: list[dict[str, Any]]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in columns:
        position = index.get(column.key)
        cell = raw[position] if position is not None and position < len(raw) else None
        if cell is not None and not isinstance(cell, _PLAIN):
            errors.append({"row": number, "field": column.key, "message": _("formulas are not accepted")})
            continue
        if isinstance(cell, str) and _FORMULA_TEXT.match(normalise_text(cell)):
            errors.append({"row": number, "field": column.key, "message": _("formulas are not accepted")})
            continue
        if isinstance(cell, float) and (cell != cell or cell in (float("inf"), float("-inf"))):
            errors.append({"row": number, "field": column.key, "message": _("not a number")})
            continue
        if cell is None or (isinstance(cell, str) and normalise_text(cell) == ""):
            if column.required:
                errors.append({"row": number, "field": column.key, "message": _("required")})
            values[column.key] = None
            continue
        try:
            values[column.key] = column.parse(cell) if column.parse else normalise_text(cell)
        except (ValueError, TypeError, ArithmeticError) as exc:
            errors.append({"row": number, "field": column.key, "message": str(exc)})
    return values


def raise_if_errors(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise ImportFailed(details=error_details(errors))


def error_details(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The row report: the first ``MAX_REPORTED_ERRORS`` errors, and how many there are when cut."""
    if len(errors) <= MAX_REPORTED_ERRORS:
        return {"rows": errors}
    return {"rows": errors[:MAX_REPORTED_ERRORS], "total_errors": len(errors)}


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
    neutralise_formulas(workbook)
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


def neutralise_formulas(workbook: Workbook) -> None:
    """Every text cell that a spreadsheet would run (``=``, ``+``, ``-``, ``@``, DDE) is stored
    as plain text with Excel's quote prefix: shown as typed, never evaluated. Call it on any
    workbook that holds user data before saving it (``workbook_bytes`` does)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def _cell(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value == value.quantize(decimal.Decimal("0.0001")) else str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value
