"""People: creation, changes, revealing personal data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import PermissionDenied
from baogong.core.identifiers import check_idcard
from baogong.core.retry import retry_on_conflict
from baogong.people import locks
from baogong.people.actions.common import _check_scope, _full_clean, require_person_scope
from baogong.people.crypto import lookup_hash
from baogong.people.errors import PersonInvalid
from baogong.people.models import Person

PERSON_FIELDS = ["kind", "name", "organisation", "home_site", "position", "user", "is_active"]


def _validate_identity(person: Person, id_number: str | None, phone: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if id_number is not None and id_number.strip():
        check = check_idcard(id_number)
        if not check.ok:
            errors["id_number"] = [check.reason]
        else:
            duplicate = Person.objects.filter(id_number_hash=lookup_hash("idcard", id_number)).exclude(pk=person.pk)
            if duplicate.exists():
                errors["id_number"] = ["这个身份证号已登记 / this ID number is already registered"]
    if phone is not None and phone.strip():
        digits = phone.strip().replace(" ", "").replace("-", "")
        if not digits.isdigit() or not 7 <= len(digits) <= 15:
            errors["phone"] = ["电话号码应为7到15位数字 / a phone number has 7 to 15 digits"]
    return errors


@retry_on_conflict
def create_person(data: Mapping[str, Any], *, actor: Actor) -> Person:
    """Register a person; ``id_number`` and ``phone`` are validated, encrypted and masked."""
    with transaction.atomic(durable=True):
        return _create_person(data, actor=actor)


def _create_person(data: Mapping[str, Any], *, actor: Actor) -> Person:
    person = Person(**{k: v for k, v in data.items() if k in PERSON_FIELDS})
    id_number = str(data.get("id_number") or "")
    phone = str(data.get("phone") or "")
    errors = _validate_identity(person, id_number, phone)
    _full_clean(person, errors, PersonInvalid)
    _check_scope(actor, person.organisation, person.home_site, PersonInvalid)
    person.set_id_number(id_number)
    person.set_phone(phone)
    person.save()
    audit.record("create_person", person, actor=actor, after=audit.snapshot(person))
    return person


@retry_on_conflict
def update_person(person: Person, data: Mapping[str, Any], *, actor: Actor) -> Person:
    """Change a person's details; ``id_number``/``phone`` replace the stored values when given."""
    require_person_scope(actor, person)
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in PERSON_FIELDS:
                setattr(locked, key, value)
        id_number = data.get("id_number")
        phone = data.get("phone")
        errors = _validate_identity(locked, id_number, phone)
        _full_clean(locked, errors, PersonInvalid)
        _check_scope(actor, locked.organisation, locked.home_site, PersonInvalid)
        if id_number is not None and id_number.strip():
            locked.set_id_number(id_number)
        if phone is not None:
            locked.set_phone(phone)
        locked.save()
        after = audit.snapshot(locked)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if id_number:
            changed["id_number_cipher"] = "***"
        if phone is not None:
            changed["phone_cipher"] = "***"
        if changed:
            audit.record(
                "update_person",
                locked,
                actor=actor,
                before={k: before.get(k) for k in changed},
                after=changed,
            )
        return locked


@retry_on_conflict
def reveal_personal_data(person: Person, *, actor: Actor, reason: str = "") -> dict[str, str]:
    """The unmasked ID number and phone, for a user allowed to see them; always audited."""
    require_person_scope(actor, person)
    if not getattr(actor, "has_perm", None) or not actor.has_perm("core.reveal_personal_data"):
        raise PermissionDenied(_("You may not reveal personal data."))
    with transaction.atomic(durable=True):
        audit.record(
            "reveal_personal_data",
            person,
            actor=actor,
            after={"fields": ["id_number", "phone"], "reason": reason.strip()},
        )
    return {"id_number": person.id_number_plain(), "phone": person.phone_plain()}
