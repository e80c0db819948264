"""Pages: the tenant portal on a phone, staff review, decision letter, progress, import, scoping."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from baogong.core.audit import history_for
from baogong.core.tests.xlsx import xlsx_file
from baogong.orgs.models import Grant, Organisation
from baogong.property import actions
from baogong.property.demo_data import load_property_demo
from baogong.property.models import Lease, ReliefApplication, ReliefCredit, Tenant

from .conftest import SYSTEM, make_uscc, office_head, pdf, upload_all

D = dt.date


@pytest.fixture
def tenant_client(world, user, client_for):
    actions.link_portal_user(world.shop, user("tenant"), actor=SYSTEM)
    return client_for("tenant")


def test_several_documents_of_several_kinds_in_one_submission(world, tenant_client):
    # given a submitted application
    lease = world.lease()
    tenant_client.post(f"/property/leases/{lease.pk}/apply/", {"settlement": "credit"})
    application = ReliefApplication.objects.get(lease=lease)
    url = f"/property/applications/{application.pk}/documents/"
    # when two lease pages and the licence are sent at once
    response = tenant_client.post(
        url,
        {"files_lease": [pdf("合同1.pdf"), pdf("合同2.pdf")], "files_business_licence": pdf("执照.pdf")},
        follow=True,
    )
    # then all three are stored, each audited, and the page says so
    assert sorted(application.documents.values_list("original_name", flat=True)) == [
        "合同1.pdf",
        "合同2.pdf",
        "执照.pdf",
    ]
    assert history_for(application).filter(verb="upload_document").count() == 3
    assert "已上传 3 份材料" in response.content.decode()
    # and one refused file among good ones stores none of them (all or nothing)
    bad = SimpleUploadedFile("照片.png", b"GIF89a not a png", content_type="image/png")
    response = tenant_client.post(url, {"files_lease": pdf("合同3.pdf"), "files_size_proof": bad}, follow=True)
    assert application.documents.count() == 3
    assert "照片.png" in response.content.decode()
    # and an empty submission asks for a file
    response = tenant_client.post(url, {}, follow=True)
    assert "请至少选择一个文件" in response.content.decode()


def test_tenant_applies_on_the_portal(world, tenant_client):
    lease = world.lease()
    other = world.lease("L-OTHER", tenant=world.noodles, units=("102",))
    portal = tenant_client.get("/property/portal/")
    assert portal.status_code == 200
    assert "L-001" in portal.content.decode() and "L-OTHER" not in portal.content.decode()
    detail = tenant_client.get(f"/property/leases/{lease.pk}/")
    assert detail.status_code == 200
    assert "60000.00" in detail.content.decode()  # 6 months of a full-year quarterly lease
    assert tenant_client.get(f"/property/leases/{other.pk}/").status_code == 404
    response = tenant_client.post(f"/property/leases/{lease.pk}/apply/", {"settlement": "credit"})
    application = ReliefApplication.objects.get(lease=lease)
    assert response.status_code == 302
    assert response["Location"] == f"/property/applications/{application.pk}/"
    assert (application.status, application.quoted_amount) == ("submitted", Decimal("60000.00"))
    upload = tenant_client.post(f"/property/applications/{application.pk}/documents/", {"files_lease": pdf("合同.pdf")})
    assert upload.status_code == 302
    assert list(application.documents.values_list("kind", flat=True)) == ["lease"]
    bad = tenant_client.post(
        f"/property/applications/{application.pk}/documents/",
        {"files_lease": pdf("virus.exe")},
        follow=True,
    )
    assert "只接受" in bad.content.decode() or "PDF" in bad.content.decode()
    assert application.documents.count() == 1
    page = tenant_client.get(f"/property/applications/{application.pk}/")
    assert page.status_code == 200 and application.number in page.content.decode()
    # a tenant cannot review its own application
    assert tenant_client.post(f"/property/applications/{application.pk}/handle/").status_code == 403
    assert tenant_client.get("/property/").status_code == 302


def test_staff_review_chain_and_decision_letter(world, client_for):
    lease = world.lease()
    application = actions.submit_application(lease, as_of=D(2022, 6, 1), actor=SYSTEM)
    upload_all(application)
    officer = client_for("property")
    # one person cannot do 经办, 审核 and 批准 of a ¥60,000 relief alone (issue 19.4)
    assert officer.post(f"/property/applications/{application.pk}/handle/").status_code == 302
    officer.post(f"/property/applications/{application.pk}/check/")
    application.refresh_from_db()
    assert application.status == "handled"
    commander = client_for("commander")
    assert commander.post(f"/property/applications/{application.pk}/check/").status_code == 302
    commander.post(f"/property/applications/{application.pk}/approve/")  # checked it: may not approve ≥ ¥50,000
    officer.post(f"/property/applications/{application.pk}/approve/")  # handled it
    application.refresh_from_db()
    assert application.status == "checked"
    head = Client()
    head.force_login(office_head())
    assert head.post(f"/property/applications/{application.pk}/approve/").status_code == 302
    application.refresh_from_db()
    assert (application.status, application.approved_amount) == ("approved", Decimal("60000.00"))
    assert [a.username for a in (application.handled_by, application.checked_by)] == ["property", "commander"]
    assert ReliefCredit.objects.get(application=application).amount == Decimal("60000.00")
    letter = officer.get(f"/property/applications/{application.pk}/letter.pdf")
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF-")
    listing = officer.get("/property/?status=approved")
    assert application.number in listing.content.decode()


def test_return_needs_a_reason_and_reject_via_page(world, client_for):
    application = actions.submit_application(world.lease(), as_of=D(2022, 6, 1), actor=SYSTEM)
    officer = client_for("property")
    officer.post(f"/property/applications/{application.pk}/return/", {"reason": ""})
    application.refresh_from_db()
    assert application.status == "submitted"
    officer.post(f"/property/applications/{application.pk}/reject/", {"reason": "非国有房屋"})
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("rejected", "非国有房屋")


def test_batch_review_page(world, client_for):
    first = actions.submit_application(world.lease("L-1"), as_of=D(2022, 6, 1), actor=SYSTEM)
    second = actions.submit_application(world.lease("L-2", units=("102",)), as_of=D(2022, 6, 1), actor=SYSTEM)
    upload_all(first)
    upload_all(second)
    response = client_for("property").post("/property/batch/", {"step": "handle", "ids": [first.pk, second.pk]})
    assert response.status_code == 302
    assert set(ReliefApplication.objects.values_list("status", flat=True)) == {"handled"}


def test_other_organisation_gets_404_and_other_roles_403(world, client_for, base):
    lease = world.lease()
    application = actions.submit_application(lease, as_of=D(2022, 6, 1), actor=SYSTEM)
    outsider = get_user_model().objects.create_user("nf-officer", password="x")
    outsider.groups.add(Group.objects.get(name="property_officer"))
    Grant.objects.create(user=outsider, organisation=Organisation.objects.get(code="NFGS"))
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/property/applications/{application.pk}/").status_code == 404
    assert client.get(f"/property/leases/{lease.pk}/").status_code == 404
    assert client.post(f"/property/applications/{application.pk}/handle/").status_code == 404
    assert client_for("pharmacist").get("/property/").status_code == 403
    assert client_for("auditor").get(f"/property/applications/{application.pk}/").status_code == 200
    assert client_for("auditor").post(f"/property/applications/{application.pk}/handle/").status_code == 403


def test_progress_page(world, client_for):
    actions.submit_application(world.lease(), as_of=D(2022, 6, 1), actor=SYSTEM)
    page = client_for("property").get("/property/progress/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="received">1<' in body
    assert "2022-W22" in body and "友谊路街道" in body and "echarts.min.js" in body


def test_rent_roll_pages(world, client_for):
    lease = world.lease()
    officer = client_for("property")
    officer.post(f"/property/leases/{lease.pk}/invoices/", {"up_to": "2022-06-01"})
    invoice = lease.invoices.order_by("period_start").first()
    officer.post(
        f"/property/leases/{lease.pk}/payment/", {"invoice": invoice.pk, "amount": "30000.00", "paid_on": "2022-01-03"}
    )
    invoice.refresh_from_db()
    assert (lease.invoices.count(), invoice.status) == (2, "paid")
    arrears = officer.get("/property/arrears/").content.decode()
    assert "L-001" in arrears and "30000.00" in arrears
    tenants = officer.get("/property/tenants/").content.decode()
    assert "310***********0018" in tenants and "310113199001010018" not in tenants


# --- Excel import ---------------------------------------------------------------------------------
def workbook(rows):
    keys = [c.key for c in actions.LEASE_COLUMNS]
    return xlsx_file(
        [c.header for c in actions.LEASE_COLUMNS], ([row.get(k) for k in keys] for row in rows), "leases.xlsx"
    )


ROW = {
    "tenant_code": "T-100",
    "tenant_name": "上海导入商贸有限公司",
    "kind": "企业",
    "uscc": make_uscc(100),
    "industry": "批发业",
    "employees": 8,
    "revenue_wan": 900,
    "assets_wan": 100,
    "lease_code": "L-100",
    "property_code": "P-BY-01",
    "units": "201",
    "rent": "45000.00",
    "period_months": 3,
    "start": "2022-01-01",
    "end": "2023-12-31",
    "rent_free": "2022-01-01~2022-01-31",
}


def test_import_template_and_import(world, client_for):
    officer = client_for("property")
    template = officer.get("/property/import/template.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]]
    assert headers == [c.header for c in actions.LEASE_COLUMNS]
    rows = [
        ROW,
        {
            **ROW,
            "tenant_code": "T-101",
            "tenant_name": "小李修鞋铺",
            "kind": "个体工商户",
            "uscc": None,
            "operator_name": "李四",
            "operator_id_number": "310113199001010018",
            "industry": None,
            "lease_code": "L-101",
            "parent_lease": "L-100",
            "rent": "3000.00",
            "period_months": 1,
            "rent_free": None,
        },
    ]
    response = officer.post("/property/import/", {"file": workbook(rows)})
    assert response.status_code == 302
    sub = Lease.objects.get(code="L-101")
    assert (sub.parent.code, sub.tenant.kind, sub.role) == ("L-100", "individual_business", "final_occupier")
    assert list(Lease.objects.get(code="L-100").rent_free_periods.values_list("start", "end")) == [
        (D(2022, 1, 1), D(2022, 1, 31))
    ]


def test_import_is_all_or_nothing(world, client_for):
    rows = [
        ROW,
        {**ROW, "tenant_code": "T-102", "uscc": "91310113MA1G00011X", "lease_code": "L-102", "period_months": 2},
        {**ROW, "tenant_code": "T-103", "lease_code": "L-103", "property_code": "P-NONE"},
    ]
    response = client_for("property").post("/property/import/", {"file": workbook(rows)})
    assert response.status_code == 400
    errors = {(e["row"], e["field"]) for e in response.context["row_errors"]}
    assert errors == {(3, "period_months"), (4, "property_code")}
    # the report names each field as the file does (its column's header), never by its key
    table = response.content.decode().split('id="row-errors"')[1]
    assert "付款周期(月) / period (months)" in table and "房产编码 / property code" in table
    assert "period_months" not in table and "property_code" not in table
    assert not Tenant.objects.filter(code__in=["T-100", "T-102", "T-103"]).exists()
    assert not Lease.objects.filter(code__startswith="L-10").exists()
    rows = [ROW, {**ROW, "tenant_code": "T-102", "uscc": "91310113MA1G00011X", "lease_code": "L-102"}]
    response = client_for("property").post("/property/import/", {"file": workbook(rows)})
    assert response.status_code == 400
    assert {(e["row"], e["field"]) for e in response.context["row_errors"]} == {(3, "uscc")}
    assert not Tenant.objects.filter(code="T-100").exists()


# --- demo ---------------------------------------------------------------------------------------
def test_demo_loader_is_idempotent_and_links_the_tenant_user(base, client_for):
    counts = load_property_demo()
    assert counts == {"properties": 4, "tenants": 8, "leases": 8}
    assert load_property_demo() == {"properties": 0, "tenants": 0, "leases": 0}
    tenant = client_for("tenant")
    page = tenant.get("/property/portal/").content.decode()
    assert "L-BY-001" in page and "L-BY-002" not in page
    assert Lease.objects.get(code="L-BY-003").role == "sublessor"


def test_default_policies_loader_restores_missing_policies(base):
    from baogong.property.models import Policy

    assert actions.load_default_policies(actor=SYSTEM) == []
    Policy.objects.filter(code="sh-2022-05").delete()
    (made,) = actions.load_default_policies(actor=SYSTEM)
    assert (made.code, made.base_months, made.effective_from, made.effective_to) == (
        "sh-2022-05",
        6,
        D(2022, 5, 29),
        None,
    )


def test_application_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    officer = client_for("property")
    actions.submit_application(world.lease("L-1"), as_of=D(2022, 6, 1), actor=SYSTEM)
    with django_assert_max_num_queries(30) as few:
        officer.get("/property/")
    actions.submit_application(world.lease("L-2", units=("102",)), as_of=D(2022, 6, 1), actor=SYSTEM)
    actions.submit_application(world.lease("L-3", units=("201",)), as_of=D(2022, 6, 1), actor=SYSTEM)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert officer.get("/property/").status_code == 200


def test_lease_page_of_a_contradicting_tenant_shows_why_there_is_no_quote(world, client_for):
    lease = world.lease(tenant=world.noodles)
    Tenant.objects.filter(pk=world.noodles.pk).update(is_subsidiary_of_large_group=True)
    page = client_for("property").get(f"/property/leases/{lease.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="quote-contradictions"' in html and "个体工商户不可能是大中型企业集团的下属企业" in html
    assert 'id="quote-amount"' not in html


def test_size_class_is_shown_in_words_not_as_its_code(world, client_for):
    """The lease page's quote, the application page and the tenant list name the size class
    (小型企业), not its stored code (``small``)."""
    lease = world.lease()
    application = actions.submit_application(lease, as_of=D(2022, 6, 1), actor=SYSTEM)
    officer = client_for("property")
    code = application.size_class
    assert code == "small"
    pages = {
        "lease": officer.get(f"/property/leases/{lease.pk}/").content.decode(),
        "application": officer.get(f"/property/applications/{application.pk}/").content.decode(),
        "tenants": officer.get("/property/tenants/").content.decode(),
    }
    for name, html in pages.items():
        assert "小型企业" in html, name
        assert f">{code}<" not in html, name
