"""A drill's result as Excel (openpyxl) and PDF (WeasyPrint, the CJK font of ``core/pdf_base.html``)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from baogong.core.excel import neutralise_formulas
from baogong.core.pdf import render_pdf

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def summary_rows(result: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """(figure, baseline, drill, difference) for the page and both documents."""
    base, drill = result["baseline"], result["drill"]
    rows: list[tuple[str, Any, Any, Any]] = []
    for tier, rate in base["fill_rate_by_tier"].items():
        after = drill["fill_rate_by_tier"].get(tier, 1.0)
        rows.append(
            (_("Fill rate, tier %(tier)s") % {"tier": tier}, f"{rate:.1%}", f"{after:.1%}", f"{after - rate:+.1%}")
        )
    for key, label in (
        ("unmet_units", _("Unmet units")),
        ("km", _("Kilometres")),
        ("vehicle_days", _("Vehicle-days")),
        ("vehicles_peak", _("Vehicles on the busiest day")),
        ("unrouted_stops", _("Drops no vehicle could make")),
    ):
        b, d = base[key], drill[key]
        rows.append((label, b, d, round(d - b, 1)))
    for item, days in base["days_of_cover"].items():
        after = drill["days_of_cover"].get(item)
        diff = round(after - days, 1) if after is not None and days is not None else ""
        rows.append((_("Days of cover: %(item)s") % {"item": item}, days, after, diff))
    return rows


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    sheet.freeze_panes = "A2"


def to_xlsx(result: dict[str, Any], title: str) -> bytes:
    workbook = Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    _sheet(
        workbook,
        _("Drill summary"),
        [_("Figure"), _("Baseline"), _("Drill"), _("Difference")],
        [list(r) for r in summary_rows(result)],
    )
    _sheet(
        workbook,
        _("Moved"),
        [_("Item"), _("Recipient"), _("From"), _("To"), _("Units")],
        [[m["item"], m["recipient"], m["from"], m["to"], m["qty"]] for m in result["moved"]],
    )
    for key, label in (("baseline", _("Unmet (baseline)")), ("drill", _("Unmet (drill)"))):
        _sheet(
            workbook,
            label,
            [_("Item"), _("Item name"), _("Recipient"), _("Recipient name"), _("Units")],
            [[u["item"], u["item_name"], u["recipient"], u["recipient_name"], u["qty"]] for u in result[key]["unmet"]],
        )
    days = zip(result["baseline"]["days"], result["drill"]["days"], strict=True)
    _sheet(
        workbook,
        _("Days"),
        [
            _("Date"),
            _("Allocated (baseline)"),
            _("Allocated (drill)"),
            _("Km (baseline)"),
            _("Km (drill)"),
            _("Vehicles (baseline)"),
            _("Vehicles (drill)"),
        ],
        [[b["date"], b["allocated"], d["allocated"], b["km"], d["km"], b["vehicles"], d["vehicles"]] for b, d in days],
    )
    notes = workbook.create_sheet(_("Parameters"))
    notes.append([title])
    notes.append([_("Drill window"), result["window"]["from"], result["window"]["days"]])
    for key, value in result["events"].items():
        notes.append([key, str(value)])
    neutralise_formulas(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(result: dict[str, Any], title: str) -> bytes:
    return render_pdf("command/drill_pdf.html", {"result": result, "title": title, "summary": summary_rows(result)})


def drill_document(result: dict[str, Any], fmt: str, title: str = "") -> tuple[bytes, str, str]:
    """The document's bytes, content type and file name."""
    title = title or _("Drill from %(date)s, %(days)d days") % {
        "date": result["window"]["from"],
        "days": result["window"]["days"],
    }
    content = to_xlsx(result, title) if fmt == "xlsx" else to_pdf(result, title)
    return content, CONTENT_TYPES[fmt], f"drill-{result['window']['from']}.{fmt}"
