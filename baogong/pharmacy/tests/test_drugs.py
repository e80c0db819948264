"""Drug master data: approval numbers checked, the online-sale ban list applied with its reason."""

from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent
from baogong.pharmacy import actions
from baogong.pharmacy.errors import DrugInvalid
from baogong.pharmacy.models import Drug


def test_save_drug_records_master_data_and_audit(make_drug):
    drug = make_drug("阿莫西林", brand_name="阿莫仙", sale_class="rx", insurance_class="A", unit_price="18.80")
    drug.refresh_from_db()
    assert (drug.generic_name, drug.brand_name, drug.unit_price, drug.is_rx) == (
        "阿莫西林",
        "阿莫仙",
        Decimal("18.80"),
        True,
    )
    event = AuditEvent.objects.get(verb="save_drug", object_id=str(drug.pk))
    assert event.after["generic_name"] == "阿莫西林"


@pytest.mark.parametrize(
    ("number", "message_part"),
    [("国食健字G20040001", "保健食品"), ("卫消证字(2020)第0001号", "消毒"), ("H20041126", "国药准字")],
)
def test_bad_approval_number_is_refused_and_nothing_written(make_drug, system, number, message_part):
    good = make_drug()
    before = Drug.objects.count()
    with pytest.raises(DrugInvalid) as exc:
        actions.save_drug({"approval_number": number}, actor=system, drug=good)
    assert message_part in str(exc.value.details["approval_number"])
    assert Drug.objects.count() == before
    good.refresh_from_db()
    assert good.approval_number.startswith("国药准字H2004")


def test_legacy_and_imported_approval_numbers_are_accepted(make_drug):
    assert make_drug(approval_number="国药准字H31020001").approval_number == "国药准字H31020001"
    assert make_drug(approval_number="国药准字HJ20170001").approval_number == "国药准字HJ20170001"


def test_injection_is_banned_online_unless_glucose_lowering(make_drug):
    injection = make_drug("头孢曲松钠", dosage_form="injection", sale_class="rx")
    insulin = make_drug("门冬胰岛素", dosage_form="injection", sale_class="rx", is_glucose_lowering=True)
    assert injection.is_banned_online and "注射剂" in injection.ban_reason
    assert not insulin.is_banned_online and insulin.ban_reason == ""


def test_named_drugs_are_banned_but_topical_antibiotics_are_not(make_drug):
    assert make_drug("华法林钠", sale_class="rx").is_banned_online
    assert make_drug("地高辛片", sale_class="rx").is_banned_online  # the form suffix does not hide the name
    assert make_drug("头孢地尼", sale_class="rx", dosage_form="capsule").is_banned_online
    assert not make_drug("利奈唑胺", sale_class="rx", dosage_form="ointment").is_banned_online


def test_explicit_ban_shows_its_category_and_note(make_drug):
    drug = make_drug("复方甘草片", online_ban="narcotic_compound", online_ban_note="含阿片粉")
    assert drug.is_banned_online
    assert drug.ban_reason.endswith("含阿片粉")
    assert "麻醉" in drug.ban_reason
