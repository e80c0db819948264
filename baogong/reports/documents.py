"""The daily situation report (日报) and the work summary (工作总结), written from the figures."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from baogong.core.excel import _cell, neutralise_formulas
from baogong.core.pdf import render_pdf
from baogong.reports import daily as _daily  # noqa: F401  (registers the as-of-day figures)
from baogong.reports.figures import Figure, Period, by_section, collect
from baogong.reports.sources import display_value, source_of

DAILY = "daily"
SUMMARY = "summary"


@dataclass
class Section:
    code: str
    title: str
    figures: list[Figure]

    @property
    def paragraph(self) -> str:
        return "，".join(f.phrase for f in self.figures) + "。"


@dataclass(frozen=True)
class Source:
    """One line of 数据来源: the figure, its value as people read it, where it comes from in
    words, and the page that lists the records behind it."""

    key: str
    label: str
    value: str
    sentence: str
    link: str


@dataclass
class Report:
    kind: str
    period: Period
    title: str
    sections: list[Section]
    generated_at: dt.datetime

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    @property
    def sources(self) -> list[Source]:
        return [Source(f.key, f.label, display_value(f), source_of(f), f.link) for f in self.figures]

    @property
    def lead(self) -> str:
        if self.kind == DAILY:
            return f"{self.period.start:%Y年%m月%d日}保供工作情况如下。"
        return (
            f"{self.period.start:%Y年%m月%d日}至{self.period.end:%Y年%m月%d日}，"
            "宝山区供销合作总社及所属企业全力做好疫情防控期间的保供工作，主要情况如下。"
        )


def build_report(user: Any, kind: str, period: Period) -> Report:
    figures = collect(user, period)
    if kind == DAILY:
        title = f"保供工作日报（{period.start:%Y年%m月%d日}）"
    else:
        title = f"保供工作总结（{period.start:%Y年%m月%d日}—{period.end:%Y年%m月%d日}）"
    sections = [Section(code, name, items) for code, name, items in by_section(figures)]
    return Report(kind, period, title, sections, timezone.localtime())


def absolute(link: str) -> str:
    return settings.BAOGONG_PUBLIC_BASE_URL.rstrip("/") + link if link.startswith("/") else link


def to_markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", report.lead, ""]
    for number, section in enumerate(report.sections, start=1):
        lines += [f"## {number}. {section.title}", "", section.paragraph, ""]
    lines += ["## 数据来源", ""]
    for source in report.sources:
        detail = f"（[查看明细]({absolute(source.link)})）" if source.link else ""
        lines.append(f"- **{source.label}**：{source.value}。{source.sentence}{detail}")
    if not report.figures:
        lines.append("（本期暂无可用数据）")
    lines += ["", f"生成时间：{report.generated_at:%Y-%m-%d %H:%M}", ""]
    return "\n".join(lines)


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "报告 Report"
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([report.lead])
    for section in report.sections:
        sheet.append([])
        sheet.append([section.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append([section.paragraph])
    sheet.column_dimensions["A"].width = 100

    data = workbook.create_sheet("数据 Figures")
    data.append(["编号 Key", "指标 Figure", "数值 Value", "单位 Unit", "明细 Link"])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for f in report.figures:
        data.append([f.key, f.label, _cell(f.value), f.unit, absolute(f.link) if f.link else ""])
    for column, width in zip("ABCDE", (28, 36, 18, 8, 60), strict=True):
        data.column_dimensions[column].width = width

    notes = workbook.create_sheet("脚注 Footnotes")
    notes.append(["编号 Key", "指标 Figure", "技术说明 Query", "数据来源 Source"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for f in report.figures:
        notes.append([f.key, f.label, f.query, source_of(f)])
    notes.append([])
    notes.append(
        [f"期间 Period: {report.period.start} – {report.period.end}；生成时间 {report.generated_at:%Y-%m-%d %H:%M}"]
    )
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 36
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 80
    neutralise_formulas(workbook)  # user text never runs as a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(report: Report) -> bytes:
    return render_pdf("reports/report_pdf.html", {"report": report, "base_url": settings.BAOGONG_PUBLIC_BASE_URL})


def render(report: Report, fmt: str) -> bytes:
    if fmt == "md":
        return to_markdown(report).encode()
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(fmt)


CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
