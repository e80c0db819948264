"""Several licences of a supplier in one submission (issue 22.4), each with its scanned document
through the upload check; all added or none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from baogong.core.models import AuditEvent
from baogong.procurement import actions
from baogong.procurement.errors import LicenceInvalid
from baogong.procurement.models import SupplierLicence

from .conftest import GOOD_USCC, PDF_BYTES, pdf
from .test_suppliers import supplier_data

pytestmark = pytest.mark.django_db


def _row(n, kind="", number="", expires="", document=None):
    row = {f"licence-{n}-kind": kind, f"licence-{n}-number": number, f"licence-{n}-expires_on": expires}
    if document is not None:
        row[f"licence-{n}-document"] = document
    return row


def _post(client, supplier, *rows):
    data = {"licence-TOTAL_FORMS": "3", "licence-INITIAL_FORMS": "0", "licence-MAX_NUM_FORMS": "10"}
    for row in rows:
        data.update(row)
    return client.post(f"/procurement/suppliers/{supplier.pk}/licences/", data, follow=True)


@pytest.fixture
def supplier(user, media):
    return actions.register_supplier(supplier_data(categories=["protective"]), actor=user("procurement"))


def test_two_licences_with_their_documents_in_one_submission(supplier, client_for):
    expires = (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    # given the business licence and the device filing filled in, the third row left empty
    page = _post(
        client_for("procurement"),
        supplier,
        _row(0, "business", GOOD_USCC, expires, pdf("营业执照.pdf")),
        _row(1, "device_filing", "沪宝食药监械经营备20220001号", "", pdf("备案凭证.pdf")),
        _row(2),
    )
    # then both are on file with their documents, each audited, and the page says so
    assert page.status_code == 200
    assert "已添加 2 份证照。" in page.content.decode()
    licences = list(SupplierLicence.objects.filter(supplier=supplier).order_by("kind"))
    assert [(lic.kind, lic.number) for lic in licences] == [
        ("business", GOOD_USCC),
        ("device_filing", "沪宝食药监械经营备20220001号"),
    ]
    assert all(lic.document.read() == PDF_BYTES for lic in licences)
    assert AuditEvent.objects.filter(verb="add_licence").count() == 2
    # and the supplier now has what protective equipment needs
    assert actions.licence_problems(supplier, ["protective"]) == []


def test_one_wrong_document_adds_none(supplier, client_for):
    # given a good first row and a second whose "PDF" is a program
    evil = SimpleUploadedFile("备案凭证.pdf", b"MZ\x90\x00", content_type="application/pdf")
    page = _post(
        client_for("procurement"),
        supplier,
        _row(0, "business", GOOD_USCC, "", pdf("营业执照.pdf")),
        _row(1, "device_filing", "沪宝食药监械经营备20220001号", "", evil),
    )
    # then nothing is added and the error names the second licence's document
    html = page.content.decode()
    assert not SupplierLicence.objects.exists()
    assert not AuditEvent.objects.filter(verb="add_licence").exists()
    assert "证照 2：" in html and "证照 1：" not in html


def test_an_empty_submission_asks_for_a_licence(supplier, client_for):
    page = _post(client_for("procurement"), supplier, _row(0), _row(1), _row(2))
    assert "请至少填写一份证照。" in page.content.decode()
    assert not SupplierLicence.objects.exists()


def test_the_action_refuses_all_when_one_is_wrong(supplier, user):
    with pytest.raises(LicenceInvalid) as exc:
        actions.add_licences(
            supplier,
            [({"kind": "business", "number": GOOD_USCC}, None), ({"kind": "business", "number": "X"}, None)],
            actor=user("procurement"),
        )
    assert list(exc.value.details) == ["2-number"]
    assert exc.value.details["2-number"][0].startswith("证照 2：")
    assert not SupplierLicence.objects.exists()
