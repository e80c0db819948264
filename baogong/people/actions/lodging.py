"""Lodging sites: rooms, check-in and out, meals, daily health checks, care logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.orgs.models import Site
from baogong.people import locks
from baogong.people.actions.common import _check_scope, require_site_scope
from baogong.people.choices import CareLogKind, Meal
from baogong.people.errors import OccupancyInvalid
from baogong.people.models import CareLog, HealthCheck, LodgingStay, MealLog, Person, Room


# --- Lodging, meals, daily checks, care logs, guest requests ----------------------------------
@retry_on_conflict
def add_room(site: Site, number: str, *, beds: int = 1, actor: Actor) -> Room:
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
    actor: Actor,
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
            locks.room_for_update(room.pk)
            occupied = LodgingStay.objects.filter(room=room, checked_out_at__isnull=True).count()
            if occupied >= room.beds:
                raise OccupancyInvalid(details={"room": ["房间已满 / the room is full"]})
        stay = LodgingStay.objects.create(
            person=locked, site=site, room=room, checked_in_at=checked_in_at, reason=reason.strip()
        )
        audit.record("check_in", stay, actor=actor, after=audit.snapshot(stay))
        return stay


@retry_on_conflict
def check_out(stay: LodgingStay, *, checked_out_at: dt.datetime | None = None, actor: Actor) -> LodgingStay:
    require_site_scope(actor, stay.site)
    checked_out_at = checked_out_at or timezone.now()
    with transaction.atomic(durable=True):
        locked = locks.lodging_stay_for_update(stay.pk)
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
def log_meals(site: Site, served_on: dt.date, meal: str, servings: int, *, actor: Actor) -> MealLog:
    """Record (or correct) the servings of one meal at a site on a day."""
    if meal not in Meal.values:
        raise OccupancyInvalid(details={"meal": ["餐次应为早餐、午餐或晚餐 / breakfast, lunch or dinner"]})
    if servings < 0:
        raise OccupancyInvalid(details={"servings": ["份数不能为负 / servings cannot be negative"]})
    _check_scope(actor, None, site, OccupancyInvalid)
    with transaction.atomic(durable=True):
        existing = locks.meal_log_for_update(site, served_on, meal)
        before = {"servings": existing.servings} if existing else None
        log = existing or MealLog(site=site, served_on=served_on, meal=meal)
        log.servings = servings
        log.recorded_by = audit.user_of(actor)
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
    actor: Actor,
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
    actor: Actor,
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
            recorded_by=audit.user_of(actor),
        )
        audit.record("log_care", log, actor=actor, after=audit.snapshot(log))
        return log
