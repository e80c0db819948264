import datetime as dt

import pytest

from baogong.core.errors import PermissionDenied
from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation, Site
from baogong.people import actions, crypto, queries
from baogong.people.errors import PersonInvalid
from baogong.people.models import Person

from .conftest import make_id_number


def test_create_person_stores_id_and_phone_encrypted_and_masked(health, warehouse):
    person = actions.create_person(
        {
            "kind": "staff",
            "name": "王建国",
            "organisation": Organisation.objects.get(code="CYGS"),
            "home_site": warehouse,
            "id_number": "310113198001010013",
            "phone": "13812345678",
        },
        actor=health,
    )
    stored = Person.objects.get(pk=person.pk)
    assert stored.id_number_masked == "310***********0013"
    assert stored.phone_masked == "138****5678"
    assert "310113198001010013" not in stored.id_number_cipher
    assert "13812345678" not in stored.phone_cipher
    assert stored.id_number_plain() == "310113198001010013"
    assert stored.phone_plain() == "13812345678"
    assert queries.find_by_id_number("310113198001010013") == stored
    event = AuditEvent.objects.get(verb="create_person", object_id=str(person.pk))
    assert event.actor == health
    assert event.after["id_number_cipher"] == "***"
    assert event.after["phone_hash"] == "***"
    assert "13812345678" not in str(event.after) and "310113198001010013" not in str(event.after)


def test_bad_id_number_is_refused_with_a_field_error_and_nothing_written(health, warehouse):
    with pytest.raises(PersonInvalid) as exc:
        actions.create_person(
            {"kind": "staff", "name": "李四", "home_site": warehouse, "id_number": "310113198001010014"},
            actor=health,
        )
    assert exc.value.details["id_number"] == ["校验码错误，应为 3 / check character should be 3"]
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(verb="create_person").exists()


def test_duplicate_id_number_is_refused(make_person, health):
    number = make_id_number()
    make_person(id_number=number)
    with pytest.raises(PersonInvalid) as exc:
        make_person(name="另一个人", id_number=number)
    assert exc.value.details["id_number"] == ["这个身份证号已登记 / this ID number is already registered"]
    assert Person.objects.count() == 1


def test_person_needs_an_organisation_or_a_home_site(health):
    with pytest.raises(PersonInvalid) as exc:
        actions.create_person({"kind": "volunteer", "name": "志愿者甲"}, actor=health)
    assert "organisation" in exc.value.details
    assert not Person.objects.exists()


def test_bad_phone_is_refused(make_person):
    with pytest.raises(PersonInvalid) as exc:
        make_person(phone="12ab")
    assert exc.value.details["phone"] == ["电话号码应为7到15位数字 / a phone number has 7 to 15 digits"]
    assert not Person.objects.exists()


def test_people_outside_the_actors_scope_are_refused(user):
    with pytest.raises(PersonInvalid):
        actions.create_person(
            {"kind": "staff", "name": "张三", "organisation": Organisation.objects.get(code="YYGS")},
            actor=user("dispatcher"),
        )
    assert not Person.objects.exists()


def test_update_person_replaces_phone_and_audits_without_values(make_person, health):
    person = make_person()
    actions.update_person(person, {"phone": "13900001111", "position": "叉车司机"}, actor=health)
    person.refresh_from_db()
    assert person.phone_plain() == "13900001111"
    assert person.phone_masked == "139****1111"
    event = AuditEvent.objects.get(verb="update_person", object_id=str(person.pk))
    assert event.after["position"] == "叉车司机"
    assert event.after["phone_cipher"] == "***"
    assert "13900001111" not in str(event.after) + str(event.before)


def test_reveal_needs_the_permission_and_is_audited(make_person, user):
    person = make_person(id_number="310113199212310029")
    with pytest.raises(PermissionDenied):
        actions.reveal_personal_data(person, actor=user("auditor"))
    assert not AuditEvent.objects.filter(verb="reveal_personal_data").exists()
    revealed = actions.reveal_personal_data(person, actor=user("health"), reason="流调")
    assert revealed == {"id_number": "310113199212310029", "phone": "13812345678"}
    event = AuditEvent.objects.get(verb="reveal_personal_data")
    assert event.actor == user("health")
    assert event.after == {"fields": ["id_number", "phone"], "reason": "流调"}


def test_tampered_cipher_is_detected():
    token = crypto.encrypt("310113198001010013")
    assert crypto.decrypt(token) == "310113198001010013"
    raw = bytearray(crypto.base64.urlsafe_b64decode(token[3:]))
    raw[20] ^= 1
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(crypto.VERSION.decode() + ":" + crypto.base64.urlsafe_b64encode(bytes(raw)).decode())
    assert crypto.encrypt("x") != crypto.encrypt("x")
    assert crypto.lookup_hash("idcard", "11010519491231002x") == crypto.lookup_hash("idcard", "11010519491231002X")


def test_field_key_setting_changes_the_keys(settings):
    token = crypto.encrypt("13812345678")
    settings.BAOGONG_FIELD_KEY = "another-key"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)


def test_scoped_people_list(make_person, user):
    person = make_person()
    other = make_person(name="药店员工", organisation=Organisation.objects.get(code="YYGS"), home_site=None)
    assert set(queries.people_for(user("health"))) == {person, other}
    assert list(queries.people_for(user("dispatcher"))) == [person]
    assert list(queries.people_for(user("warehouse"))) == [person]
    assert list(queries.people_for(user("pharmacist"))) == []
    assert Site.objects.filter(code="WH-TXQ").exists()


def test_birth_date_in_the_future_is_refused(make_person):
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d")
    with pytest.raises(PersonInvalid) as exc:
        make_person(id_number=make_id_number(birth=future))
    assert exc.value.details["id_number"] == ["出生日期不合理 / birth date is out of range"]
