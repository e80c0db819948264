"""The per-mission statement as an Excel workbook (the PDF is a template)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from baogong.core.excel import _cell, neutralise_formulas
from baogong.finance.queries import Statement


def statement_workbook(st: Statement) -> bytes:
    mission = st.mission
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "预算执行 Budget"
    summary.append(["任务 Mission", f"{mission.code} {mission.name}"])
    summary.append(["出资方 Funder", str(mission.funder)])
    summary.append(["期间 Period", f"{mission.starts_on} – {mission.ends_on or ''}"])
    summary.append(["预算 Budget", _cell(mission.budget)])
    summary.append([])
    summary.append(["类别 Category", "已审核 Approved", "待审核 Pending"])
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)
    for cat in st.categories:
        summary.append([cat.label, _cell(cat.approved), _cell(cat.pending)])
    summary.append(["合计 Total", _cell(st.approved), _cell(st.pending)])
    summary.append(["预算余额 Remaining", _cell(st.remaining)])
    summary.append(["已申报 Claimed", _cell(st.claimed)])
    summary.append(["已到账 Received", _cell(st.received)])
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 30
    summary.column_dimensions["C"].width = 18

    lines = workbook.create_sheet("费用明细 Costs")
    lines.append(
        [
            "日期 Date",
            "类别 Category",
            "金额 Amount",
            "发票号 Invoice",
            "供应商 Supplier",
            "说明",
            "状态 Status",
            "申报单 Claim",
        ]
    )
    for cell in lines[1]:
        cell.font = Font(bold=True)
    for cost in st.lines:
        lines.append(
            [
                cost.incurred_on,
                cost.get_category_display(),
                _cell(cost.amount),
                cost.invoice_number,
                cost.supplier,
                cost.description,
                cost.get_status_display(),
                cost.claim.number if cost.claim else "",
            ]
        )
    claims = workbook.create_sheet("报销申报 Claims")
    claims.append(["编号 Number", "状态 Status", "申报金额 Amount", "已到账 Received", "提交日期 Submitted"])
    for cell in claims[1]:
        cell.font = Font(bold=True)
    for claim in st.claims:
        claims.append(
            [
                claim.number,
                claim.get_status_display(),
                _cell(claim.amount),
                _cell(claim.amount_received),
                claim.submitted_on,
            ]
        )
    neutralise_formulas(workbook)  # user text never runs as a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
