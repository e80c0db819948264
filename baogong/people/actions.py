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
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.orgs.models import Organisation, Site
from baogong.people import locks
from baogong.people.choices import (
    CareLogKind,
    DutyType,
    GuestRequestKind,
    GuestRequestStatus,
    HealthStatus,
    Meal,
    PersonKind,
    Shift,
    TestKind,
    TestResult,
    TestSource,
)
from baogong.people.crypto import lookup_hash
from baogong.people.errors import (
    ClosedLoopInvalid,
    DeploymentInvalid,
    HealthTestInvalid,
    OccupancyInvalid,
    PersonInvalid,
    PersonNotCleared,
    RegimeInvalid,
)
from baogong.people.models import (
    CareLog,
    ClosedLoopStay,
    Deployment,
    DispatchBatch,
    GuestRequest,
    HealthCheck,
    HealthRegime,
    HealthTest,
    LodgingStay,
    MealLog,
    Person,
    Room,
)

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
    if not (person.name or "").strip():
        errors.setdefault("name", []).append("请填写姓名 / give the name")
    if person.kind not in PersonKind.values:
        errors.setdefault("kind", []).append(
            "人员类型应为员工、志愿者、居民或宾客 / staff, volunteer, resident or guest"
        )
    try:
        person.full_clean(exclude=["id_number_hash"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                errors.setdefault(field, []).extend(messages)
    if person.organisation_id is None and person.home_site_id is None:
        errors.setdefault("organisation", []).append("请填写所属单位或所在场所 / give an organisation or a home site")
    if errors:
        raise error(details=errors)


@retry_on_conflict
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


@retry_on_conflict
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


@retry_on_conflict
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
@retry_on_conflict
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
    """Record an antigen or PCR result.

    A positive result makes the person not cleared and opens an incident (close contacts, sites
    under control, notifications); a negative one applies the recovery rules.
    """
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
    if source == TestSource.SELF:
        if person.user_id is None or person.user_id != getattr(actor, "pk", None):
            raise HealthTestInvalid(details={"person": ["只能上报自己的结果 / you can only report your own result"]})
    else:
        _check_scope(actor, person.organisation, person.home_site, HealthTestInvalid)
    from baogong.people import outbreak

    with transaction.atomic(durable=True):
        test = _record_health_test(
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
        incident = outbreak.open_incident(test, actor=actor) if result == TestResult.POSITIVE else None
    # Site status changes are actions of their own (orgs.actions.set_site_status), run after commit.
    if incident is not None:
        outbreak.control_incident_sites(incident, actor=actor)
    elif result == TestResult.NEGATIVE:
        outbreak.apply_recovery_rules(test.person, on_date=timezone.localdate(), actor=actor)
    return test


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


@retry_on_conflict
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
@retry_on_conflict
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


@retry_on_conflict
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


# --- Deployments ------------------------------------------------------------------------------
def _deployment_errors(duty_type: str, starts_on: Any, ends_on: Any, shift: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if duty_type not in DutyType.values:
        errors["duty_type"] = ["未知的岗位类型 / unknown duty type"]
    if shift not in Shift.values:
        errors["shift"] = ["未知的班次 / unknown shift"]
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = ["请填写开始日期 / give a start date"]
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = ["请填写结束日期 / give an end date"]
    elif isinstance(starts_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = ["结束日期早于开始日期 / ends before it starts"]
    return errors


def _refuse_unwell(people: list[Person]) -> None:
    unwell = {
        str(p.pk): [f"{p.name}: {p.get_health_status_display()}"]
        for p in people
        if p.health_status != HealthStatus.NORMAL or not p.is_active
    }
    if unwell:
        raise PersonNotCleared(details=unwell)


@retry_on_conflict
def deploy_person(
    person: Person,
    *,
    duty_type: str,
    starts_on: dt.date,
    ends_on: dt.date,
    site: Site | None = None,
    shift: str = Shift.DAY,
    note: str = "",
    actor: Any,
) -> Deployment:
    """Assign a person to a duty (supply, production, business, watch, community) for a period."""
    errors = _deployment_errors(duty_type, starts_on, ends_on, shift)
    if errors:
        raise DeploymentInvalid(details=errors)
    _check_scope(actor, person.organisation, site or person.home_site, DeploymentInvalid)
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        _refuse_unwell([locked])
        deployment = Deployment.objects.create(
            person=locked,
            duty_type=duty_type,
            organisation=locked.organisation,
            site=site,
            starts_on=starts_on,
            ends_on=ends_on,
            shift=shift,
            note=note.strip(),
        )
        audit.record("deploy_person", deployment, actor=actor, after=audit.snapshot(deployment))
        return deployment


@retry_on_conflict
def dispatch_batch(
    people: list[Person],
    *,
    organisation: Organisation,
    destination_team: str,
    starts_on: dt.date,
    ends_on: dt.date,
    site: Site | None = None,
    note: str = "",
    actor: Any,
) -> DispatchBatch:
    """Send a batch of people to an outside volunteer team: one batch, one deployment each."""
    errors = _deployment_errors(DutyType.VOLUNTEER_TEAM, starts_on, ends_on, Shift.FULL)
    if not destination_team.strip():
        errors["destination_team"] = ["请填写派往的队伍 / name the destination team"]
    if not people:
        errors["people"] = ["请至少选择一人 / choose at least one person"]
    if errors:
        raise DeploymentInvalid(details=errors)
    _check_scope(actor, organisation, None, DeploymentInvalid)
    scope = user_scope(actor)
    outside = [p.name for p in people if not scope.allows(organisation_id=p.organisation_id, site_id=p.home_site_id)]
    if outside:
        raise DeploymentInvalid(details={"people": [f"不在您的管辖范围 / not in your scope: {', '.join(outside)}"]})
    with transaction.atomic(durable=True):
        locked = list(locks.people_for_update(p.pk for p in people))
        _refuse_unwell(locked)
        last = (
            DispatchBatch.objects.select_for_update()
            .filter(organisation=organisation)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        batch = DispatchBatch.objects.create(
            number=(last or 0) + 1,
            organisation=organisation,
            destination_team=destination_team.strip(),
            site=site,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note.strip(),
        )
        for person in locked:
            Deployment.objects.create(
                person=person,
                duty_type=DutyType.VOLUNTEER_TEAM,
                organisation=person.organisation or organisation,
                site=site,
                batch=batch,
                starts_on=starts_on,
                ends_on=ends_on,
                shift=Shift.FULL,
            )
        audit.record(
            "dispatch_batch",
            batch,
            actor=actor,
            after={**audit.snapshot(batch), "people": [p.pk for p in locked]},
        )
        return batch


# --- Lodging, meals, daily checks, care logs, guest requests ----------------------------------
@retry_on_conflict
def add_room(site: Site, number: str, *, beds: int = 1, actor: Any) -> Room:
    if not number.strip():
        raise OccupancyInvalid(details={"number": ["请填写房间号 / give a room number"]})
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        if Room.objects.filter(site=site, number=number.strip()).exists():
            raise OccupancyInvalid(details={"number": ["房间号已存在 / this room already exists"]})
        room = Room.objects.create(site=site, number=number.strip(), beds=max(1, beds))
        audit.record("add_room", room, actor=actor, after=audit.snapshot(room))
        return room


@retry_on_conflict
def check_in(
    person: Person,
    site: Site,
    *,
    room: Room | None = None,
    checked_in_at: dt.datetime | None = None,
    reason: str = "",
    actor: Any,
) -> LodgingStay:
    """Lodge a person at a hotel, isolation point or home (one open stay per person)."""
    checked_in_at = checked_in_at or timezone.now()
    if room is not None and room.site_id != site.pk:
        raise OccupancyInvalid(details={"room": ["房间不属于该场所 / the room is not at this site"]})
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        if locked.lodgings.filter(checked_out_at__isnull=True).exists():
            raise OccupancyInvalid(details={"person": ["此人已入住，请先退房 / already lodged: check out first"]})
        if room is not None:
            Room.objects.select_for_update().get(pk=room.pk)
            occupied = LodgingStay.objects.filter(room=room, checked_out_at__isnull=True).count()
            if occupied >= room.beds:
                raise OccupancyInvalid(details={"room": ["房间已满 / the room is full"]})
        stay = LodgingStay.objects.create(
            person=locked, site=site, room=room, checked_in_at=checked_in_at, reason=reason.strip()
        )
        audit.record("check_in", stay, actor=actor, after=audit.snapshot(stay))
        return stay


@retry_on_conflict
def check_out(stay: LodgingStay, *, checked_out_at: dt.datetime | None = None, actor: Any) -> LodgingStay:
    checked_out_at = checked_out_at or timezone.now()
    with transaction.atomic(durable=True):
        locked = LodgingStay.objects.select_for_update().select_related("site").get(pk=stay.pk)
        if locked.checked_out_at is not None:
            raise OccupancyInvalid(details={"checked_out_at": ["已退房 / already checked out"]})
        if checked_out_at < locked.checked_in_at:
            raise OccupancyInvalid(details={"checked_out_at": ["退房早于入住 / out before in"]})
        locked.checked_out_at = checked_out_at
        locked.save(update_fields=["checked_out_at"])
        audit.record(
            "check_out", locked, actor=actor, before={"checked_out_at": None}, after={"checked_out_at": checked_out_at}
        )
        return locked


@retry_on_conflict
def log_meals(site: Site, served_on: dt.date, meal: str, servings: int, *, actor: Any) -> MealLog:
    """Record (or correct) the servings of one meal at a site on a day."""
    if meal not in Meal.values:
        raise OccupancyInvalid(details={"meal": ["餐次应为早餐、午餐或晚餐 / breakfast, lunch or dinner"]})
    if servings < 0:
        raise OccupancyInvalid(details={"servings": ["份数不能为负 / servings cannot be negative"]})
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        existing = MealLog.objects.select_for_update().filter(site=site, served_on=served_on, meal=meal).first()
        before = {"servings": existing.servings} if existing else None
        log = existing or MealLog(site=site, served_on=served_on, meal=meal)
        log.servings = servings
        log.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        log.save()
        audit.record("log_meals", log, actor=actor, before=before, after={"servings": servings, "meal": meal})
        return log


@retry_on_conflict
def record_health_check(
    person: Person,
    *,
    temperature: Any,
    symptoms: str = "",
    checked_on: dt.date | None = None,
    site: Site | None = None,
    is_self_reported: bool = False,
    actor: Any,
) -> HealthCheck:
    """A daily check (phone check-in or staff round). Fever or symptoms raise an alert."""
    from decimal import Decimal, InvalidOperation

    from baogong.core.models import Notification
    from baogong.core.notify import notify

    checked_on = checked_on or timezone.localdate()
    try:
        value = Decimal(str(temperature)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise OccupancyInvalid(details={"temperature": ["体温应为数字 / temperature must be a number"]}) from None
    if not Decimal("34.0") <= value <= Decimal("43.0"):
        raise OccupancyInvalid(details={"temperature": ["体温应在34至43℃之间 / temperature must be 34–43 °C"]})
    if is_self_reported and getattr(person, "user_id", None) != getattr(actor, "pk", object()):
        raise OccupancyInvalid(details={"person": ["只能为自己打卡 / you can only check in for yourself"]})
    if not is_self_reported:
        _check_scope(actor, person.organisation, site or person.home_site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        if HealthCheck.objects.filter(person=locked, checked_on=checked_on).exists():
            raise OccupancyInvalid(details={"checked_on": ["今天已打卡 / already checked in for this day"]})
        check = HealthCheck.objects.create(
            person=locked,
            checked_on=checked_on,
            temperature=value,
            symptoms=symptoms.strip(),
            site=site or locked.home_site,
            is_self_reported=is_self_reported,
        )
        audit.record("record_health_check", check, actor=actor, after=audit.snapshot(check))
        if check.has_fever or check.symptoms:
            where = check.site or locked.home_site
            notify(
                f"健康异常 / health alert: {locked.name} {value}℃",
                f"{where or ''} {checked_on}: {check.symptoms or '发热 / fever'}",
                level=Notification.Level.WARNING,
                link=f"/people/{locked.pk}/",
                organisation_id=locked.organisation_id or (where.organisation_id if where else None),
                site_id=where.pk if where else None,
            )
        return check


@retry_on_conflict
def log_care(
    site: Site,
    *,
    kind: str,
    done_at: dt.datetime | None = None,
    area: str = "",
    waste_kg: Any = None,
    agent: str = "",
    actor: Any,
) -> CareLog:
    """Waste collection (with kg) or disinfection (with the agent used) at a site."""
    from decimal import Decimal, InvalidOperation

    errors: dict[str, list[str]] = {}
    if kind not in CareLogKind.values:
        errors["kind"] = ["应为垃圾清运或消杀 / waste or disinfection"]
    weight = None
    if waste_kg not in (None, ""):
        try:
            weight = Decimal(str(waste_kg)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            errors["waste_kg"] = ["重量应为数字 / weight must be a number"]
        else:
            if weight < 0:
                errors["waste_kg"] = ["重量不能为负 / weight cannot be negative"]
    if kind == CareLogKind.WASTE and weight is None and "waste_kg" not in errors:
        errors["waste_kg"] = ["请填写垃圾重量 / give the weight collected"]
    if kind == CareLogKind.DISINFECTION and not agent.strip():
        errors["agent"] = ["请填写消毒剂 / name the disinfectant"]
    if errors:
        raise OccupancyInvalid(details=errors)
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        log = CareLog.objects.create(
            site=site,
            kind=kind,
            done_at=done_at or timezone.now(),
            area=area.strip(),
            waste_kg=weight,
            agent=agent.strip(),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record("log_care", log, actor=actor, after=audit.snapshot(log))
        return log


def _guest_line_errors(item: Any, qty: Any, needed_by: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if item is None:
        errors["item"] = ["请选择物资 / choose a catalogue item"]
    elif not item.is_active:
        errors["item"] = ["该物资已停用 / this item is not active"]
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 1_000_000:
        errors["qty"] = [
            "数量应为1至1000000的整数（发放单位）/ the quantity is a whole number of issue units, 1 to 1000000"
        ]
    if needed_by is not None and not isinstance(needed_by, dt.date):
        errors["needed_by"] = ["请填写日期 / give a date"]
    elif isinstance(needed_by, dt.date) and needed_by < timezone.localdate():
        errors["needed_by"] = ["需求日期不能早于今天 / the needed-by date cannot be in the past"]
    return errors


def _may_convert(actor: Any) -> bool:
    return bool(getattr(actor, "has_perm", None) and actor.has_perm("people.convert_guest_request"))


@retry_on_conflict
def record_guest_request(
    person: Person,
    site: Site,
    *,
    kind: str,
    text: str,
    item: Any = None,
    qty: int | None = None,
    needed_by: dt.date | None = None,
    actor: Any,
) -> GuestRequest:
    """A guest or resident asks for medicine or food.

    When the request already names a catalogue item and quantity and the actor may convert guest
    requests, it becomes a submitted distribution request in the same transaction; otherwise it
    waits (with the item filled in) for staff to convert it.
    """
    errors: dict[str, list[str]] = {}
    if kind not in GuestRequestKind.values:
        errors["kind"] = ["应为药品、食品或其他 / medicine, food or other"]
    if not text.strip():
        errors["text"] = ["请写明需要什么 / say what is needed"]
    if item is not None or qty is not None:
        errors.update(_guest_line_errors(item, qty, needed_by))
    if errors:
        raise OccupancyInvalid(details=errors)
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        request = GuestRequest.objects.create(
            person=person, site=site, kind=kind, text=text.strip(), item=item, qty=qty, needed_by=needed_by
        )
        audit.record("record_guest_request", request, actor=actor, after=audit.snapshot(request))
        if item is not None and _may_convert(actor):
            request = _convert_guest_request(request, item=item, qty=qty or 0, needed_by=needed_by, actor=actor)
        return request


@retry_on_conflict
def convert_guest_request(
    request: GuestRequest,
    *,
    item: Any = None,
    qty: int | None = None,
    needed_by: dt.date | None = None,
    actor: Any,
) -> GuestRequest:
    """Turn an open guest request into a submitted distribution request for its site (one
    transaction: the supply request, the link both ways and the audit events commit together).

    Item and quantity default to what the guest request already names; needed-by defaults to
    tomorrow.
    """
    if not _may_convert(actor):
        raise PermissionDenied(_("You may not turn guest requests into supply requests."))
    item = item if item is not None else request.item
    qty = qty if qty is not None else request.qty
    errors = _guest_line_errors(item, qty, needed_by)
    if errors:
        raise OccupancyInvalid(details=errors)
    _check_scope(actor, None, request.site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        return _convert_guest_request(request, item=item, qty=qty or 0, needed_by=needed_by, actor=actor)


def _convert_guest_request(
    request: GuestRequest, *, item: Any, qty: int, needed_by: dt.date | None, actor: Any
) -> GuestRequest:
    from baogong.distribution import actions as distribution
    from baogong.distribution.errors import RequestInvalid

    locked = GuestRequest.objects.select_for_update().select_related("site").get(pk=request.pk)
    if locked.status != GuestRequestStatus.OPEN:
        raise OccupancyInvalid(details={"status": ["该需求已处理 / this request was already handled"]})
    needed_by = needed_by or timezone.localdate() + dt.timedelta(days=1)
    stay = locked.person.lodgings.filter(site=locked.site, checked_out_at__isnull=True).select_related("room").first()
    room = f" {stay.room.number}" if stay is not None and stay.room is not None else ""
    note = f"宾客需求 / guest request #{locked.pk} · {locked.site.name}{room}: {locked.text}"
    try:
        supply = distribution.file_request_in_transaction(
            locked.site,
            [distribution.LineInput(item=item, qty=qty, needed_by=needed_by)],
            actor=actor,
            note=note[:500],
            submit=True,
        )
    except RequestInvalid as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        mapped = {key.replace("lines[0].", "").replace("recipient", "site"): value for key, value in details.items()}
        raise OccupancyInvalid(details=mapped or {"item": [str(exc.message)]}) from exc
    before = {"status": locked.status, "supply_request": None}
    locked.item = item
    locked.qty = qty
    locked.needed_by = needed_by
    locked.supply_request = supply
    locked.status = GuestRequestStatus.CONVERTED
    locked.converted_at = timezone.now()
    locked.save(update_fields=["item", "qty", "needed_by", "supply_request", "status", "converted_at", "updated_at"])
    audit.record(
        "convert_guest_request",
        locked,
        actor=actor,
        before=before,
        after={
            "status": locked.status,
            "supply_request": supply.number,
            "item": item.code,
            "qty": qty,
            "needed_by": needed_by,
        },
    )
    return locked


@retry_on_conflict
def fulfil_guest_request(request: GuestRequest, *, note: str = "", actor: Any) -> GuestRequest:
    with transaction.atomic(durable=True):
        locked = GuestRequest.objects.select_for_update().select_related("site").get(pk=request.pk)
        if locked.status not in (GuestRequestStatus.OPEN, GuestRequestStatus.CONVERTED):
            raise OccupancyInvalid(details={"status": ["该需求已处理 / this request was already handled"]})
        before = locked.status
        locked.status = GuestRequestStatus.FULFILLED
        locked.handled_note = note.strip()
        locked.save(update_fields=["status", "handled_note", "updated_at"])
        audit.record(
            "fulfil_guest_request",
            locked,
            actor=actor,
            before={"status": before},
            after={"status": locked.status, "handled_note": locked.handled_note},
        )
        return locked
