"""Every state change of people, health tests, regimes and closed-loop stays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.errors import PermissionDenied, ValidationFailed
from baogong.core.identifiers import check_idcard
from baogong.core.scoping import user_scope
from baogong.orgs.models import Organisation, Site
from baogong.people import locks
from baogong.people.choices import HealthStatus, PersonKind, TestKind, TestResult, TestSource
from baogong.people.crypto import lookup_hash
from baogong.people.errors import ClosedLoopInvalid, HealthTestInvalid, PersonInvalid, RegimeInvalid
from baogong.people.models import ClosedLoopStay, HealthRegime, HealthTest, Person

PERSON_FIELDS = ["kind", "name", "organisation", "home_site", "position", "user", "is_active"]
CLOCK_SKEW = dt.timedelta(minutes=5)


def _check_scope(
    actor: Any, organisation: Organisation | None, site: Site | None, error: type[ValidationFailed]
) -> None:
    scope = user_scope(actor)
    if scope.is_global:
        return
    if organisation is not None and scope.allows(organisation_id=organisation.pk):
        return
    if site is not None and scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
        return
    raise error(details={"organisation": [_("Not one of your organisations or sites.")]})


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


def _full_clean(person: Person, errors: dict[str, list[str]], error: type[PersonInvalid]) -> None:
    try:
        person.full_clean(exclude=["id_number_hash"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if person.organisation_id is None and person.home_site_id is None:
        errors.setdefault("organisation", []).append("请填写所属单位或所在场所 / give an organisation or a home site")
    if errors:
        raise error(details=errors)


def create_person(data: Mapping[str, Any], *, actor: Any) -> Person:
    """Register a person; ``id_number`` and ``phone`` are validated, encrypted and masked."""
    with transaction.atomic(durable=True):
        return _create_person(data, actor=actor)


def _create_person(data: Mapping[str, Any], *, actor: Any) -> Person:
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


def update_person(person: Person, data: Mapping[str, Any], *, actor: Any) -> Person:
    """Change a person's details; ``id_number``/``phone`` replace the stored values when given."""
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


def reveal_personal_data(person: Person, *, actor: Any, reason: str = "") -> dict[str, str]:
    """The unmasked ID number and phone, for a user allowed to see them; always audited."""
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


# --- Health tests -----------------------------------------------------------------------------
def record_health_test(
    person: Person,
    *,
    kind: str,
    result: str,
    taken_at: dt.datetime,
    site: Site | None = None,
    source: str = TestSource.OFFICER,
    photo: Any = None,
    note: str = "",
    actor: Any,
) -> HealthTest:
    """Record an antigen or PCR result. A positive result makes the person not cleared."""
    errors: dict[str, list[str]] = {}
    if kind not in TestKind.values:
        errors["kind"] = ["检测类型应为抗原或核酸 / test must be antigen or PCR"]
    if result not in TestResult.values:
        errors["result"] = ["结果应为阴性、阳性或无效 / result must be negative, positive or invalid"]
    if source not in TestSource.values:
        errors["source"] = [_("Unknown source.")]
    if taken_at is None or timezone.is_naive(taken_at):
        errors["taken_at"] = ["请填写检测时间 / give the time of the test"]
    elif taken_at > timezone.now() + CLOCK_SKEW:
        errors["taken_at"] = ["检测时间不能晚于现在 / the test time cannot be in the future"]
    if source == TestSource.SELF and not photo:
        errors["photo"] = ["自行上报需附检测照片 / a self-reported result needs a photo"]
    if errors:
        raise HealthTestInvalid(details=errors)
    _check_scope(actor, person.organisation, person.home_site, HealthTestInvalid)
    with transaction.atomic(durable=True):
        return _record_health_test(
            person,
            kind=kind,
            result=result,
            taken_at=taken_at,
            site=site,
            source=source,
            photo=photo,
            note=note,
            actor=actor,
        )


def _test_snapshot(test: HealthTest) -> dict[str, Any]:
    data = audit.snapshot(test, [f.name for f in HealthTest._meta.concrete_fields if f.name != "photo"])
    data["photo"] = test.photo.name or ""
    return data


def _record_health_test(
    person: Person,
    *,
    kind: str,
    result: str,
    taken_at: dt.datetime,
    site: Site | None,
    source: str,
    photo: Any,
    note: str,
    actor: Any,
) -> HealthTest:
    locked = locks.person_for_update(person.pk)
    test = HealthTest(
        person=locked,
        kind=kind,
        result=result,
        taken_at=taken_at,
        site=site,
        source=source,
        note=note.strip(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if photo:
        test.photo = photo
    test.save()
    audit.record("record_health_test", test, actor=actor, after=_test_snapshot(test))
    if result == TestResult.POSITIVE and locked.health_status != HealthStatus.POSITIVE:
        before = {"health_status": locked.health_status, "isolation_until": locked.isolation_until}
        locked.health_status = HealthStatus.POSITIVE
        locked.health_status_since = taken_at
        locked.isolation_until = None
        locked.save(update_fields=["health_status", "health_status_since", "isolation_until", "updated_at"])
        audit.record(
            "set_health_status",
            locked,
            actor=actor,
            before=before,
            after={"health_status": locked.health_status, "isolation_until": None},
        )
    return test


# --- Testing regimes --------------------------------------------------------------------------
REGIME_FIELDS = [
    "name",
    "site",
    "site_kind",
    "person_kind",
    "pcr_valid_hours",
    "antigen_same_day",
    "antigen_per_day",
    "pcr_every_days",
    "requires_closed_loop",
    "contact_lookback_days",
    "isolation_days",
    "recovery_negative_days",
    "is_active",
]


def save_regime(data: Mapping[str, Any], *, regime: HealthRegime | None = None, actor: Any) -> HealthRegime:
    """Create or change a testing regime (the health officer's configuration)."""
    with transaction.atomic(durable=True):
        target = HealthRegime.objects.select_for_update().get(pk=regime.pk) if regime else HealthRegime()
        before = audit.snapshot(target) if regime else None
        for key, value in data.items():
            if key in REGIME_FIELDS:
                setattr(target, key, value)
        try:
            target.full_clean()
        except ValidationError as exc:
            raise RegimeInvalid(details=exc.message_dict) from exc
        if target.person_kind and target.person_kind not in PersonKind.values:
            raise RegimeInvalid(details={"person_kind": [_("Unknown kind.")]})
        target.save()
        audit.record("save_regime", target, actor=actor, before=before, after=audit.snapshot(target))
        return target


# --- Closed loop ------------------------------------------------------------------------------
def start_closed_loop(
    person: Person, site: Site, *, started_at: dt.datetime | None = None, note: str = "", actor: Any
) -> ClosedLoopStay:
    """Put a person into the closed loop of a site (ends any earlier open stay)."""
    started_at = started_at or timezone.now()
    _check_scope(actor, None, site, ClosedLoopInvalid)
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        current = locked.closed_loop_stays.filter(ended_at__isnull=True).first()
        if current is not None:
            if current.site_id == site.pk:
                raise ClosedLoopInvalid(details={"site": ["已在该场所闭环 / already in this site's closed loop"]})
            if started_at < current.started_at:
                raise ClosedLoopInvalid(details={"started_at": ["早于当前闭环开始时间 / before the current stay"]})
            current.ended_at = started_at
            current.save(update_fields=["ended_at"])
            audit.record("end_closed_loop", current, actor=actor, after={"ended_at": started_at})
        stay = ClosedLoopStay.objects.create(person=locked, site=site, started_at=started_at, note=note.strip())
        audit.record("start_closed_loop", stay, actor=actor, after=audit.snapshot(stay))
        return stay


def end_closed_loop(stay: ClosedLoopStay, *, ended_at: dt.datetime | None = None, actor: Any) -> ClosedLoopStay:
    ended_at = ended_at or timezone.now()
    with transaction.atomic(durable=True):
        locked = ClosedLoopStay.objects.select_for_update().select_related("site").get(pk=stay.pk)
        if locked.ended_at is not None:
            raise ClosedLoopInvalid(details={"ended_at": ["该闭环已结束 / this stay has already ended"]})
        if ended_at < locked.started_at:
            raise ClosedLoopInvalid(details={"ended_at": ["结束时间早于开始时间 / ends before it starts"]})
        locked.ended_at = ended_at
        locked.save(update_fields=["ended_at"])
        audit.record("end_closed_loop", locked, actor=actor, before={"ended_at": None}, after={"ended_at": ended_at})
        return locked
