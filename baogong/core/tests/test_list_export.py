"""The list table of a rendered page, as the Excel export reads it (core.listexport)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from openpyxl import load_workbook

from baogong.core.listexport import find_list_table, list_workbook

PAGE = """<h1>采购订单 <span class="visually-hidden">列表</span></h1>
<table><thead><tr><th>编号</th><th class="text-end">合计</th><th>备注</th><th></th></tr></thead><tbody>
<tr><td><a href="/1/">PO-1</a> <span class="badge">待复核</span></td><td class="text-end">¥1,200.50</td>
<td>=HYPERLINK("http://x")</td><td><form><button>删除</button></form></td></tr>
<tr><td>PO-2</td><td class="text-end">—</td><td>第一行<br>第二行</td><td><a class="btn">查看</a></td></tr>
<tr><td colspan="4">没有更多</td></tr></tbody></table>
<p data-list-count="2">共 2 条记录</p>
<table><thead><tr><th>another</th></tr></thead></table>"""


def test_the_table_before_the_count_without_its_button_column():
    table = find_list_table(PAGE)
    assert table is not None
    assert table.title == "采购订单"
    assert table.headers == ["编号", "合计", "备注"]
    assert table.rows == [["PO-1 待复核", "¥1,200.50", '=HYPERLINK("http://x")'], ["PO-2", "—", "第一行 第二行"]]
    assert table.total == 2


def test_a_page_without_the_list_marker_has_no_list():
    assert find_list_table("<h1>x</h1><table><thead><tr><th>a</th></tr></thead></table>") is None


def test_numbers_become_numbers_and_formulas_stay_text():
    request = RequestFactory().get("/orders/", {"status": "open", "export": "xlsx", "page": "3"})
    request.user = AnonymousUser()
    workbook = load_workbook(io.BytesIO(list_workbook(find_list_table(PAGE), request)))
    sheet = workbook.worksheets[0]
    assert sheet.title == "采购订单"
    assert [c.value for c in sheet[2]] == ["PO-1 待复核", 1200.5, '=HYPERLINK("http://x")']
    assert sheet["C2"].data_type == "s" and sheet["C2"].quotePrefix
    assert sheet["B3"].value == "—"
    notes = [row[0] for row in workbook["说明 Notes"].iter_rows(values_only=True)]
    assert any("status=open" in n and "page" not in n for n in notes)
    assert Decimal(str(sheet["B2"].value)) == Decimal("1200.5")
