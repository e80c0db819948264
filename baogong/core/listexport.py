"""Export to Excel on every list page: ``?export=xlsx`` on any page that lists records with the
shared pagination (``core/_pagination.html``, which also shows the link).

The list's own view answers the request — so the export has exactly the list's filters, the
user's permissions and organisation scope, and the column headings the page shows (Chinese) — with
every row on one page (``htmx.paginate`` reads :func:`is_export`, up to ``MAX_EXPORT_ROWS``).
The middleware then turns the list's table into a workbook: columns without a heading (row
buttons) are left out, numbers in right-aligned columns become numbers, and every text cell goes
through ``excel.workbook_bytes`` so that nothing a user typed runs as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes

EXPORT_PARAM = "export"
MAX_EXPORT_ROWS = 10_000
LIST_MARKER = "data-list-count"
_SKIPPED = {"button", "script", "style", "select", "option", "textarea", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_NUMBER = re.compile(r"^[¥￥]?-?\d[\d,]*(\.\d+)?$")


def is_export(request: HttpRequest) -> bool:
    return bool(getattr(request, "baogong_export", False))


@dataclass
class _Cell:
    text: list[str] = field(default_factory=list)
    colspan: int = 1
    numeric: bool = False


@dataclass
class ListTable:
    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    title: str = ""
    total: int | None = None


class _TableParser(HTMLParser):
    """The last table closed before the first list marker, the page's <h1> and the row count."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.in_h1 = False
        self.skipping: list[str] = []  # tags opened inside a skipped element (buttons, hidden text)
        self.tables: list[dict[str, Any]] = []  # open tables, innermost last
        self.found: dict[str, Any] | None = None
        self.total: int | None = None
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        attr = dict(attrs)
        if LIST_MARKER in attr:
            self.done = True
            try:
                self.total = int(attr[LIST_MARKER] or "")
            except ValueError:
                self.total = None
            return
        if tag == "h1" and not self.title:
            self.in_h1 = True
        if self.skipping:
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag in _SKIPPED or "visually-hidden" in (attr.get("class") or "").split():
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag == "table":
            self.tables.append({"head": [], "rows": [], "section": None, "row": None, "cell": None})
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in ("thead", "tbody", "tfoot"):
            table["section"] = tag
        elif tag == "tr":
            table["row"] = []
        elif tag in ("td", "th") and table["row"] is not None:
            try:
                span = max(1, int(attr.get("colspan") or 1))
            except ValueError:
                span = 1
            table["cell"] = _Cell(colspan=span, numeric="text-end" in (attr.get("class") or "").split())
        elif tag == "br" and table["cell"] is not None:
            table["cell"].text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag == "h1":
            self.in_h1 = False
        if self.skipping:
            if tag in self.skipping:
                while self.skipping and self.skipping.pop() != tag:
                    pass
            return
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in ("td", "th") and table["cell"] is not None and table["row"] is not None:
            table["row"].append(table["cell"])
            table["cell"] = None
        elif tag == "tr" and table["row"] is not None:
            target = table["head"] if table["section"] == "thead" else table["rows"]
            target.append(table["row"])
            table["row"] = None
        elif tag == "table":
            self.found = self.tables.pop()

    def handle_data(self, data: str) -> None:
        if self.done or self.skipping:
            return
        if self.in_h1:
            self.title.append(data)
        if not self.tables or self.tables[-1]["cell"] is None:
            return
        self.tables[-1]["cell"].text.append(data)


def _text(cell: _Cell) -> str:
    return " ".join("".join(cell.text).split())


def find_list_table(html: str) -> ListTable | None:
    """The list table of a rendered list page (the one the pagination follows), or None."""
    parser = _TableParser()
    parser.feed(html)
    if not parser.done or parser.found is None or not parser.found["head"]:
        return None
    head = parser.found["head"][-1]
    headers: list[str] = []
    numeric: list[bool] = []
    for cell in head:
        headers += [_text(cell)] * cell.colspan
        numeric += [cell.numeric] * cell.colspan
    rows = []
    for raw in parser.found["rows"]:
        if len(raw) == 1 and raw[0].colspan > 1 and len(headers) > 1:
            continue  # "no records match" placeholder row
        row: list[str] = []
        for cell in raw:
            row += [_text(cell)] + [""] * (cell.colspan - 1)
        rows.append(row)
    keep = [i for i, h in enumerate(headers) if h]
    return ListTable(
        headers=[headers[i] for i in keep],
        numeric=[numeric[i] for i in keep],
        rows=[[row[i] if i < len(row) else "" for i in keep] for row in rows],
        title=" ".join("".join(parser.title).split()),
        total=parser.total,
    )


def _value(text: str, numeric: bool) -> Any:
    if numeric and _NUMBER.match(text):
        try:
            return Decimal(text.lstrip("¥￥").replace(",", ""))
        except InvalidOperation:
            return text
    return text


def _filters(request: HttpRequest) -> str:
    pairs = [f"{k}={v}" for k, values in request.GET.lists() for v in values if k not in (EXPORT_PARAM, "page") and v]
    return "；".join(pairs) or _("none")


def list_workbook(table: ListTable, request: HttpRequest) -> bytes:
    now = timezone.localtime()
    notes = [
        _("Exported from %(title)s at %(time)s by %(user)s.")
        % {"title": table.title, "time": now.strftime("%Y-%m-%d %H:%M"), "user": request.user.get_username()},
        _("Filters: %(filters)s") % {"filters": _filters(request)},
        _("%(n)d rows.") % {"n": len(table.rows)},
    ]
    if table.total is not None and table.total > len(table.rows):
        notes.append(
            _("Only the first %(n)d of %(total)d rows are exported: narrow the filters for the rest.")
            % {"n": len(table.rows), "total": table.total}
        )
    rows = ([_value(text, table.numeric[i]) for i, text in enumerate(row)] for row in table.rows)
    return workbook_bytes(table.title or "export", table.headers, rows, notes=notes)


class ListExportMiddleware:
    """Answers ``GET …?export=xlsx`` on a list page with the list as a workbook."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or request.GET.get(EXPORT_PARAM) != "xlsx":
            return self.get_response(request)
        request.baogong_export = True  # type: ignore[attr-defined]
        response = self.get_response(request)
        if (
            response.status_code != 200
            or getattr(response, "streaming", False)
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        table = find_list_table(response.content.decode(response.charset or "utf-8"))
        if table is None:
            return response  # not a list page: the page as it is
        export = HttpResponse(list_workbook(table, request), content_type=XLSX_CONTENT_TYPE)
        name = f"{table.title or 'export'}-{timezone.localdate():%Y%m%d}.xlsx"
        export["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        export["Cache-Control"] = "private, no-store"
        return export
