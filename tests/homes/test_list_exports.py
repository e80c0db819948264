"""Export to Excel on every list (issue 22.4), also on lists shown as cards (notifications, offline
conflicts, price and policy changes, fuel stations, the driver's and the courier's lists) and on
lists that are not paginated (overdue tests, compliance, the supplier scorecard, report
recipients): each answers ?export=xlsx with a workbook of the list's own columns in Chinese."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from baogong.command import actions as command_actions
from baogong.core.excel import XLSX_CONTENT_TYPE
from baogong.core.notify import notify
from baogong.orgs.models import Organisation

pytestmark = pytest.mark.django_db

LISTS = [
    ("commander", "/notifications/", ("时间", "级别", "标题", "内容", "已读")),
    ("commander", "/field/conflicts/", ("时间", "记录", "提交人", "原因", "状态", "处理情况")),
    (
        "commander",
        "/policy-changes/",
        ("变更事项", "状态", "提出人", "提出时间", "项目", "现值", "拟改为", "审批人", "备注"),
    ),
    ("fuel", "/fleet/stations/", ("加油站", "排队车辆", "油罐", "油品", "存量（升）", "容量（升）")),
    ("pharmacist", "/pharmacy/deliveries/", ("单号", "药房", "地址", "居民", "电话")),
    ("commander", "/command/recipients/", ("姓名", "电子邮件", "推送地址")),
    ("health", "/people/tests/overdue/", ("人员", "组织", "所在场所", "不能派出的原因")),
    ("commander", "/command/compliance/", ("场所", "周（起始日）", "检查次数", "全部合格", "合格项", "合格率")),
    ("procurement", "/procurement/scorecard/", ("供应商", "状态", "准时交货率 %", "拒收率 %", "价格指数", "未结问题")),
]


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))


@pytest.mark.parametrize(("username", "url", "headers"), LISTS, ids=[u for _, u, _ in LISTS])
def test_every_list_exports_its_columns(client_for, username, url, headers):
    rows = _rows(client_for(username).get(url, {"export": "xlsx"}))
    assert rows[0] == headers


def test_card_lists_export_their_cards_and_link_to_the_export(client_for, user):
    # given two notifications for the commander, one titled as a formula
    commander = user("commander")
    notify("库存不足", "大米只够两天", recipient=commander)
    notify('=HYPERLINK("http://x")', recipient=commander)
    client = client_for("commander")
    # when the list is shown and exported
    page = client.get("/notifications/").content.decode()
    rows = _rows(client.get("/notifications/", {"export": "xlsx"}))
    # then the page links to the export and the workbook has a row per card, newest first
    assert 'href="/notifications/?export=xlsx"' in page
    titles = [r[2] for r in rows[1:]]
    assert "库存不足" in titles and '=HYPERLINK("http://x")' in titles
    assert next(r for r in rows[1:] if r[2] == "库存不足")[3] == "大米只够两天"
    # and no button text or form reaches the workbook
    assert not any("标记已读" in str(c) for r in rows for c in r)


def test_an_unpaginated_list_exports_every_row_it_shows(client_for, user):
    # given two report recipients
    for name, email in (("区指挥部值班室", "duty@example.org"), ("街道办", "street@example.org")):
        command_actions.add_report_recipient(
            {"organisation": Organisation.objects.get(code="BSGX"), "name": name, "email": email},
            actor=user("commander"),
        )
    client = client_for("commander")
    # when the list is shown and exported
    page = client.get("/command/recipients/").content.decode()
    rows = _rows(client.get("/command/recipients/", {"export": "xlsx"}))
    # then both rows, without the remove buttons, and the page links to the export
    assert sorted(rows[1:]) == [("区指挥部值班室", "duty@example.org", None), ("街道办", "street@example.org", None)]
    assert 'data-list-count="2"' in page and "data-export-link" in page


def test_the_drivers_shipments_export(client_for, user, make_driver):
    # given the demo driver registered as a driver (no shipment loaded today)
    make_driver(user=user("driver"), tested=False, licence_expiry=timezone.localdate() + dt.timedelta(days=365))
    # when exported, then the list's columns and no row
    rows = _rows(client_for("driver").get("/fleet/my-shipments/", {"export": "xlsx"}))
    assert rows == [("单号", "收货单位", "地址", "状态")]
