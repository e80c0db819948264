"""Closed-loop stays, deployments and batches sent to outside volunteer teams."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.orgs.models import Organisation, Site
from baogong.people import locks
from baogong.people.actions.common import _check_scope, require_person_scope, require_site_scope
from baogong.people.choices import DutyType, HealthStatus, Shift
from baogong.people.errors import ClosedLoopInvalid, DeploymentInvalid, PersonNotCleared
from baogong.people.models import ClosedLoopStay, Deployment, DispatchBatch, Person


# --- Closed loop ------------------------------------------------------------------------------
@retry_on_conflict
def start_closed_loop(
    person: Person, site: Site, *, started_at: dt.datetime | None = None, note: str = "", actor: Actor
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
def end_closed_loop(stay: ClosedLoopStay, *, ended_at: dt.datetime | None = None, actor: Actor) -> ClosedLoopStay:
    require_site_scope(actor, stay.site)
    ended_at = ended_at or timezone.now()
    with transaction.atomic(durable=True):
        locked = locks.closed_loop_stay_for_update(stay.pk)
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
    actor: Actor,
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
    actor: Actor,
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
    for person in people:
        require_person_scope(actor, person)
    with transaction.atomic(durable=True):
        locked = list(locks.people_for_update(p.pk for p in people))
        _refuse_unwell(locked)
        last = locks.last_batch_number_for_update(organisation)
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
