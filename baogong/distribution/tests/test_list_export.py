"""Export to Excel on a list page (core.listexport): the list's filters, the user's scope, the
page's Chinese headings, every page of rows, and no formula from user text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from baogong.catalog import actions as catalog_actions
from baogong.core.excel import XLSX_CONTENT_TYPE
from baogong.distribution.tests.conftest import SYSTEM, in_days

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    return workbook.worksheets[0], workbook


@pytest.fixture
def formula_item(base):
    return catalog_actions.create_item(
        {"code": "EVIL", "name": '=HYPERLINK("http://evil","x")', "unit": "袋", "reference_price": Decimal("1")},
        actor=SYSTEM,
    )


def test_export_has_the_filters_the_headers_and_every_row(rice, elderly_home, street, file, client_for):
    # given 60 submitted requests (more than a page) and one draft
    for _ in range(60):
        file(elderly_home, (rice, 2, in_days(1)))
    file(street, (rice, 3, in_days(1)), submit=False)
    client = client_for("commander")
    # when the submitted ones are exported
    sheet, workbook = _sheet(
        client.get(reverse("distribution:request_list"), {"status": "submitted", "export": "xlsx"})
    )
    # then every row of every page, the page's Chinese headings, no column of buttons
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("单号", "收货单位", "优先级", "状态", "明细", "提交时间")
    assert len(rows) == 61
    assert {r[3] for r in rows[1:]} == {"已提交"}
    assert all(r[1] == elderly_home.name for r in rows[1:])
    notes = " ".join(str(c) for row in workbook["说明 Notes"].iter_rows(values_only=True) for c in row)
    assert "status=submitted" in notes and "60" in notes
    # and the list page links to the export with its filters
    page = client.get(reverse("distribution:request_list"), {"status": "submitted"}).content.decode()
    assert "/distribution/requests/?status=submitted&amp;export=xlsx" in page


def test_export_is_scoped_to_the_users_sites(rice, elderly_home, street, file, recipient_user, client):
    # given a request of the user's elderly home and one of a street office
    mine = file(elderly_home, (rice, 2, in_days(1)))
    file(street, (rice, 3, in_days(1)))
    client.force_login(recipient_user)
    # when
    sheet, _ = _sheet(client.get(reverse("distribution:request_list"), {"export": "xlsx"}))
    # then only the user's own request
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [mine.number]


def test_user_text_never_runs_as_a_formula(formula_item, elderly_home, file, client_for):
    # given a request for an item whose name is a formula
    file(elderly_home, (formula_item, 2, in_days(1)))
    # when
    sheet, _ = _sheet(client_for("commander").get(reverse("distribution:request_list"), {"export": "xlsx"}))
    # then the cell is text with Excel's quote prefix, shown as typed
    cell = sheet.cell(row=2, column=5)
    assert cell.value.startswith("=HYPERLINK")
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_a_page_without_a_list_is_answered_as_it_is(client_for):
    response = client_for("commander").get(reverse("distribution:norm_create"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_empty_lists_say_what_to_do_next(base, client_for):
    client = client_for("commander")
    # an empty list offers its first step; a filter that matches nothing offers to clear it
    norms = client.get(reverse("distribution:norm_list")).content.decode()
    empty = norms[norms.index("data-empty-state") :]
    assert "这里还没有记录。" in empty and reverse("distribution:norm_create") in empty
    requests = client.get(reverse("distribution:request_list"), {"status": "approved"}).content.decode()
    empty = requests[requests.index("data-empty-state") :]
    assert "没有符合这些筛选条件的记录。" in empty and 'href="/distribution/requests/"' in empty
    assert "data-export-link" not in requests  # nothing to export
