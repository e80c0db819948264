import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation
from baogong.procurement import actions, queries
from baogong.procurement.errors import (
    LicenceInvalid,
    SupplierBlacklisted,
    SupplierInvalid,
    SupplierNotQualified,
    SupplierStatusInvalid,
)
from baogong.procurement.models import BlacklistEntry, Supplier, SupplierLicence

from .conftest import GOOD_USCC, OTHER_USCC, PDF_BYTES, WARN_USCC, pdf


def supplier_data(**overrides):
    data = {
        "organisation": Organisation.objects.get(code="BYJT"),
        "name": "上海康安医疗器械有限公司",
        "uscc": GOOD_USCC,
        "legal_representative": "王建国",
        "categories": ["protective"],
    }
    data.update(overrides)
    return data


def test_register_supplier_is_pending_and_audited(user):
    supplier = actions.register_supplier(supplier_data(), actor=user("procurement"))
    assert supplier.status == "pending"
    assert supplier.uscc_warnings == []
    event = AuditEvent.objects.get(verb="register_supplier", object_id=str(supplier.pk))
    assert event.actor == user("procurement")
    assert event.organisation_id == Organisation.objects.get(code="BYJT").pk
    assert event.after["uscc"] == GOOD_USCC


def test_embedded_org_code_mismatch_is_a_warning_not_a_refusal(user):
    supplier = actions.register_supplier(supplier_data(uscc=WARN_USCC.lower()), actor=user("procurement"))
    assert supplier.uscc == WARN_USCC
    assert len(supplier.uscc_warnings) == 1
    assert "组织机构代码" in supplier.uscc_warnings[0]


def test_bad_check_character_is_refused_with_the_expected_character(user):
    with pytest.raises(SupplierInvalid) as exc:
        actions.register_supplier(supplier_data(uscc="91310113MA1FL2KQ21"), actor=user("procurement"))
    assert exc.value.details["uscc"] == ["校验码错误，应为 0 / check character should be 0"]
    assert not Supplier.objects.exists()
    assert not AuditEvent.objects.filter(verb="register_supplier").exists()


def test_register_needs_categories_and_known_ones(user):
    with pytest.raises(SupplierInvalid) as exc:
        actions.register_supplier(supplier_data(categories=["spaceships"]), actor=user("procurement"))
    assert "spaceships" in exc.value.details["categories"][0]
    with pytest.raises(SupplierInvalid) as exc:
        actions.register_supplier(supplier_data(categories=[]), actor=user("procurement"))
    assert "categories" in exc.value.details
    assert not Supplier.objects.exists()


def test_register_for_an_organisation_outside_scope_is_refused(user):
    with pytest.raises(SupplierInvalid) as exc:
        actions.register_supplier(
            supplier_data(organisation=Organisation.objects.get(code="CYGS")), actor=user("procurement")
        )
    assert "organisation" in exc.value.details
    assert not Supplier.objects.exists()


def test_duplicate_code_in_one_organisation_is_refused(user):
    actions.register_supplier(supplier_data(), actor=user("procurement"))
    with pytest.raises(SupplierInvalid) as exc:
        actions.register_supplier(supplier_data(name="又一个"), actor=user("procurement"))
    assert "uscc" in exc.value.details
    assert Supplier.objects.count() == 1


def test_add_licence_stores_the_document(user, media):
    supplier = actions.register_supplier(supplier_data(), actor=user("procurement"))
    licence = actions.add_licence(
        supplier,
        {"kind": "business", "number": GOOD_USCC, "scope": "医疗器械销售", "expires_on": dt.date(2040, 1, 1)},
        document=pdf("营业执照.pdf"),
        actor=user("procurement"),
    )
    assert licence.document.read() == PDF_BYTES
    assert AuditEvent.objects.filter(verb="add_licence", object_id=str(licence.pk)).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("licence.exe", b"MZ\x90\x00", "Upload a PDF, JPEG or PNG file."),
        ("licence.pdf", b"GIF89a....", "The file content is not a PDF file."),
        ("licence.png", b"", "The file is empty."),
    ],
)
def test_licence_document_type_is_checked(user, media, name, content, message, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    supplier = actions.register_supplier(supplier_data(), actor=user("procurement"))
    with translation.override("en"), pytest.raises(LicenceInvalid) as exc:
        actions.add_licence(
            supplier,
            {"kind": "device_business", "number": "沪宝药监械经营许20200001号"},
            document=SimpleUploadedFile(name, content),
            actor=user("procurement"),
        )
    assert message in exc.value.details["document"]
    assert not SupplierLicence.objects.exists()


def test_licence_document_size_is_checked(user, media, settings):
    settings.BAOGONG_MAX_UPLOAD_BYTES = 10
    supplier = actions.register_supplier(supplier_data(), actor=user("procurement"))
    with pytest.raises(LicenceInvalid) as exc:
        actions.add_licence(
            supplier, {"kind": "business", "number": GOOD_USCC}, document=pdf(), actor=user("procurement")
        )
    assert len(exc.value.details["document"]) == 1
    assert not SupplierLicence.objects.exists()


def test_business_licence_number_must_be_the_credit_code(user):
    supplier = actions.register_supplier(supplier_data(), actor=user("procurement"))
    with pytest.raises(LicenceInvalid) as exc:
        actions.add_licence(supplier, {"kind": "business", "number": OTHER_USCC}, actor=user("procurement"))
    assert GOOD_USCC in exc.value.details["number"][0]


def test_approval_names_each_missing_licence(user, make_supplier):
    supplier = make_supplier(licences=("business",), approve=False)
    with pytest.raises(SupplierNotQualified) as exc:
        actions.approve_supplier(supplier, actor=user("commander"))
    assert len(exc.value.details["licences"]) == 1
    assert "医疗器械经营" in exc.value.details["licences"][0]
    supplier.refresh_from_db()
    assert supplier.status == "pending"
    assert not AuditEvent.objects.filter(verb="approve_supplier").exists()


def test_approval_refuses_an_expired_licence(user, make_supplier):
    supplier = make_supplier(approve=False, expires_on=dt.date(2021, 1, 1))
    with pytest.raises(SupplierNotQualified) as exc:
        actions.approve_supplier(supplier, actor=user("commander"))
    assert all("2021-01-01" in problem for problem in exc.value.details["licences"])
    assert len(exc.value.details["licences"]) == 2


def test_approve_records_who_decided(user, make_supplier):
    supplier = make_supplier()
    assert supplier.status == "approved"
    assert supplier.status_decided_by == user("commander")
    event = AuditEvent.objects.get(verb="approve_supplier", object_id=str(supplier.pk))
    assert event.before == {"status": "pending", "status_reason": ""}
    assert event.after == {"status": "approved", "status_reason": ""}


def test_suspend_needs_a_reason_and_is_audited(user, make_supplier):
    supplier = make_supplier()
    with pytest.raises(SupplierInvalid):
        actions.suspend_supplier(supplier, reason=" ", actor=user("commander"))
    supplier = actions.suspend_supplier(supplier, reason="交货延误三次", actor=user("commander"))
    assert (supplier.status, supplier.status_reason) == ("suspended", "交货延误三次")
    assert AuditEvent.objects.filter(verb="suspend_supplier").count() == 1


def test_blacklist_is_group_wide(user, make_supplier):
    by_beiyi = make_supplier(org="BYJT")
    by_pharma = make_supplier(org="YYGS", approve=False)
    entry = actions.blacklist_supplier(by_beiyi, reason="供应假冒抗原试剂", actor=user("commander"))
    assert entry.uscc == GOOD_USCC
    by_pharma.refresh_from_db()
    by_beiyi.refresh_from_db()
    assert by_beiyi.status == by_pharma.status == "blacklisted"
    with pytest.raises(SupplierStatusInvalid):
        actions.approve_supplier(by_pharma, actor=user("commander"))
    assert AuditEvent.objects.filter(verb="blacklist_supplier").count() == 3


def test_a_blacklisted_code_registered_later_cannot_be_approved(user, make_supplier):
    first = make_supplier(org="BYJT")
    actions.blacklist_supplier(first, reason="假货", actor=user("commander"))
    later = make_supplier(org="YYGS", approve=False)
    with pytest.raises(SupplierBlacklisted) as exc:
        actions.approve_supplier(later, actor=user("commander"))
    assert "假货" in str(exc.value.message)
    later.refresh_from_db()
    assert later.status == "pending"
    assert BlacklistEntry.objects.count() == 1


def test_expiring_licences_alert_lists_only_the_window(user, make_supplier):
    soon = make_supplier(expires_on=dt.date.today() + dt.timedelta(days=10))
    make_supplier(uscc=OTHER_USCC, name="远期公司", expires_on=dt.date.today() + dt.timedelta(days=400))
    rows = list(queries.expiring_licences(user("procurement"), within_days=30))
    assert [r.supplier_id for r in rows] == [soon.pk, soon.pk]
    assert list(queries.expiring_licences(user("warehouse"), within_days=30)) == []
