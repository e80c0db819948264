from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from baogong.core.tests.pdf import has_cjk_font
from baogong.finance import actions
from baogong.finance.models import CostLine
from baogong.finance.tests.conftest import add_cost, mission_data

pytestmark = pytest.mark.django_db


def test_statement_page_excel_and_pdf(mission, commander, client_for):
    line = actions.approve_cost_line(add_cost(mission, commander, "1500.25"), actor=commander)
    add_cost(mission, commander, "20", category="labour")
    client = client_for("commander")
    # page
    page = client.get(reverse("finance:mission_detail", args=[mission.pk]))
    assert page.status_code == 200
    assert "1500.25" in page.content.decode()
    # excel
    response = client.get(reverse("finance:mission_statement_xlsx", args=[mission.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["预算执行 Budget"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["预算 Budget"][0] == 1000000
    assert rows["合计 Total"][:2] == (1500.25, 20)
    costs = list(workbook["费用明细 Costs"].iter_rows(min_row=2, values_only=True))
    assert [c[2] for c in costs] == [1500.25, 20]
    assert costs[0][3] == line.invoice_number
    # pdf
    pdf = client.get(reverse("finance:mission_statement_pdf", args=[mission.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert has_cjk_font(pdf.content)


def test_add_cost_line_through_the_form(mission, client_for):
    client = client_for("commander")
    url = reverse("finance:add_cost_line", args=[mission.pk])
    bad = client.post(url, {"category": "transport", "amount": "-1", "incurred_on": "2022-04-02"})
    assert bad.status_code == 400
    assert not CostLine.objects.exists()
    good = client.post(
        url, {"category": "transport", "amount": "88.8", "incurred_on": "2022-04-02", "invoice_number": "A1"}
    )
    assert good.status_code == 302
    assert CostLine.objects.get().amount == Decimal("88.80")


def test_approve_and_claim_through_pages(mission, commander, client_for):
    line = add_cost(mission, commander, "10")
    client = client_for("commander")
    client.post(reverse("finance:approve_cost_line", args=[line.pk]))
    response = client.post(reverse("finance:create_claim", args=[mission.pk]), {"lines": [line.pk]})
    line.refresh_from_db()
    assert line.status == "approved"
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:claim_detail", args=[line.claim_id])


def test_auditor_reads_but_cannot_add(mission, client_for):
    client = client_for("auditor")
    assert client.get(reverse("finance:mission_detail", args=[mission.pk])).status_code == 200
    assert client.get(reverse("finance:add_cost_line", args=[mission.pk])).status_code == 403


def test_user_without_finance_role_is_refused(mission, client_for):
    assert client_for("warehouse").get(reverse("finance:mission_list")).status_code == 403


def test_other_organisations_mission_is_404(mission, narrow_commander, client):
    client.force_login(narrow_commander)
    assert client.get(reverse("finance:mission_detail", args=[mission.pk])).status_code == 404
    assert client.get(reverse("finance:mission_statement_pdf", args=[mission.pk])).status_code == 404
    assert "M-FCL" not in client.get(reverse("finance:mission_list")).content.decode()


def test_cost_list_filters_by_category(mission, commander, client_for):
    add_cost(mission, commander, "10", category="transport")
    add_cost(mission, commander, "7", category="labour")
    response = client_for("commander").get(reverse("finance:cost_list"), {"category": "labour"})
    assert response.status_code == 200
    assert response.context["total"] == Decimal("7.00")


def test_mission_list_queries_do_not_grow_with_missions(mission, commander, client_for, django_assert_max_num_queries):
    from baogong.finance.models import Mission

    for i in range(5):
        actions.create_mission(mission_data(f"M-{i}", funder="BSZF-WJW"), actor=commander)
    client = client_for("commander")
    client.get(reverse("finance:mission_list"))  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse("finance:mission_list"))
    assert len(response.context["page"].object_list) == Mission.objects.count() == 6
