"""Outbreak response: incidents, close contacts, site control, lock-down and recovery.

Every action here is one transaction; site statuses change through orgs' in-transaction
functions (``baogong.orgs.actions.lock_sites`` / ``change_site_status``). ``open_incident`` runs
inside ``record_health_test``'s transaction and, under the site's policy
(``HealthRegime.site_control``), puts the sites it touched under control at once or leaves them
awaiting the health officer's confirmation. Lock order: the person, the contacts (pk order),
then the sites (pk order); an incident before its sites.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import require_text
from baogong.core.models import Notification
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.orgs import actions as site_actions
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Site
from baogong.people import locks, queries
from baogong.people.choices import (
    HealthStatus,
    IncidentSiteControl,
    IncidentStatus,
    Shift,
    SiteControl,
    TestResult,
)
from baogong.people.errors import IncidentInvalid, IncidentStateInvalid
from baogong.people.models import (
    CloseContact,
    ClosedLoopStay,
    Deployment,
    HealthTest,
    Incident,
    IncidentSite,
    LodgingStay,
    Person,
)


def _shifts_meet(a: str, b: str) -> bool:
    return a == b or Shift.FULL in (a, b)


def exposure(person: Person, start: dt.datetime, end: dt.datetime) -> tuple[dict[int, str], dict[int, str]]:
    """Sites the person worked or lodged at in [start, end], and the people who shared a site
    and shift, a room, or a closed loop with them: ({site_id: why}, {person_id: why})."""
    tz = timezone.get_current_timezone()
    first, last = timezone.localtime(start, tz).date(), timezone.localtime(end, tz).date()
    sites: dict[int, str] = {}
    contacts: dict[int, str] = {}
    if person.home_site_id:
        sites[person.home_site_id] = "工作/居住场所 / home site"
    for deployment in Deployment.objects.filter(person=person, starts_on__lte=last, ends_on__gte=first).select_related(
        "site"
    ):
        if deployment.site is None:
            continue
        sites.setdefault(deployment.site.pk, "在岗 / on duty")
        lo, hi = max(first, deployment.starts_on), min(last, deployment.ends_on)
        others = Deployment.objects.filter(site=deployment.site, starts_on__lte=hi, ends_on__gte=lo).exclude(
            person=person
        )
        for other in others.select_related("person"):
            if _shifts_meet(other.shift, deployment.shift):
                contacts.setdefault(
                    other.person_id,
                    f"同场所同班次 / same site and shift: {deployment.site.name} {other.get_shift_display()}",
                )
    open_or_after = Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=start)
    for stay in LodgingStay.objects.filter(open_or_after, person=person, checked_in_at__lte=end).select_related(
        "site", "room"
    ):
        sites.setdefault(stay.site_id, "住宿 / lodging")
        sharing = LodgingStay.objects.filter(
            Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=start), checked_in_at__lte=end
        ).exclude(person=person)
        sharing = sharing.filter(room=stay.room) if stay.room_id else sharing.filter(site=stay.site, room__isnull=True)
        where = f"{stay.site.name} {stay.room.number}" if stay.room else stay.site.name
        for lodger in sharing:
            contacts.setdefault(lodger.person_id, f"同住 / shared lodging: {where}")
    loop_open = Q(ended_at__isnull=True) | Q(ended_at__gte=start)
    for loop in ClosedLoopStay.objects.filter(loop_open, person=person, started_at__lte=end).select_related("site"):
        sites.setdefault(loop.site_id, "闭环 / closed loop")
        for mate in ClosedLoopStay.objects.filter(loop_open, site=loop.site, started_at__lte=end).exclude(
            person=person
        ):
            contacts.setdefault(mate.person_id, f"同一闭环 / same closed loop: {loop.site.name}")
    return sites, contacts


def open_incident(test: HealthTest, *, actor: Actor) -> Incident | None:
    """Open an incident for a positive test (inside the caller's transaction).

    A person already in an open incident gets no second one. Lists sites and close contacts,
    puts contacts into isolation, and notifies in-app and by webhook.
    """
    person = test.person
    if Incident.objects.filter(person=person, status=IncidentStatus.OPEN).exists():
        return None
    rules = queries.regime_for(person)
    start = test.taken_at - dt.timedelta(days=rules.contact_lookback_days)
    sites, contacts = exposure(person, start, test.taken_at)
    if test.site_id:
        sites.setdefault(test.site_id, "检测地点 / where the test was taken")
    site_rows = site_actions.lock_sites(sites)
    main_site = test.site or person.home_site or (next(iter(site_rows.values())) if site_rows else None)
    incident = Incident.objects.create(
        person=person,
        test=test,
        opened_at=timezone.now(),
        organisation=person.organisation or (main_site.organisation if main_site else None),
        site=main_site,
    )
    reason = f"阳性病例管控 / under control after a positive case ({person.name})"
    for site_id, why in sorted(sites.items()):
        site = site_rows[site_id]
        if site.status != SiteStatus.NORMAL:
            control = IncidentSiteControl.UNCHANGED
        elif queries.site_control_for(site) == SiteControl.CONFIRM:
            control = IncidentSiteControl.PENDING
        else:
            control = IncidentSiteControl.CONTROLLED
        IncidentSite.objects.create(
            incident=incident, site_id=site_id, reason=why, previous_status=site.status, control=control
        )
        if control == IncidentSiteControl.CONTROLLED:
            site_actions.change_site_status(site, SiteStatus.UNDER_CONTROL, reason=reason, actor=actor)
    isolation_until = timezone.localtime(test.taken_at).date() + dt.timedelta(days=rules.isolation_days)
    _isolate_contacts(incident, contacts, test, isolation_until, actor=actor)
    audit.record(
        "open_incident",
        incident,
        actor=actor,
        after={
            "person": person.pk,
            "test": test.pk,
            "sites": sorted(sites),
            "controlled": sorted(
                incident.sites.filter(control=IncidentSiteControl.CONTROLLED).values_list("site_id", flat=True)
            ),
            "awaiting_confirmation": sorted(
                incident.sites.filter(control=IncidentSiteControl.PENDING).values_list("site_id", flat=True)
            ),
            "contacts": sorted(contacts),
        },
    )
    site_names = "、".join(site_rows[s].name for s in sorted(sites)) or "—"
    rows = list(incident.sites.order_by("site_id").values_list("site_id", "control"))
    controlled = "、".join(site_rows[i].name for i, c in rows if c == IncidentSiteControl.CONTROLLED) or "—"
    pending = "、".join(site_rows[i].name for i, c in rows if c == IncidentSiteControl.PENDING)
    notify(
        f"阳性病例 / positive case: {person.name}",
        f"{test.get_kind_display()} {timezone.localtime(test.taken_at):%Y-%m-%d %H:%M}；"
        f"涉及场所 / sites: {site_names}；已管控 / under control: {controlled}；"
        + (f"待确认管控 / awaiting confirmation: {pending}；" if pending else "")
        + f"密切接触者 / close contacts: {len(contacts)}",
        level=Notification.Level.CRITICAL,
        link=f"/people/incidents/{incident.pk}/",
        organisation_id=incident.organisation_id,
        site_id=incident.site_id,
        subject="outbreak",
    )
    return incident


def _isolate_contacts(
    incident: Incident, contacts: dict[int, str], test: HealthTest, isolation_until: dt.date, *, actor: Actor
) -> None:
    """List the close contacts on the incident and put those not positive into isolation (locked
    in primary-key order, each change audited)."""
    contact_people = list(locks.people_for_update(contacts))
    for contact in contact_people:
        CloseContact.objects.create(
            incident=incident, person=contact, reason=contacts[contact.pk], isolation_until=isolation_until
        )
        if contact.health_status == HealthStatus.POSITIVE:
            continue
        before = {"health_status": contact.health_status, "isolation_until": contact.isolation_until}
        contact.health_status = HealthStatus.CLOSE_CONTACT
        contact.health_status_since = test.taken_at
        contact.isolation_until = max(isolation_until, contact.isolation_until or isolation_until)
        contact.save(update_fields=["health_status", "health_status_since", "isolation_until", "updated_at"])
        audit.record(
            "set_health_status",
            contact,
            actor=actor,
            before=before,
            after={"health_status": contact.health_status, "isolation_until": contact.isolation_until},
        )


def _incident_site_for_update(incident_site_id: int) -> tuple[IncidentSite, Incident, Site]:
    """Lock the incident of a site row, then the site (the one order: incident → sites)."""
    row = IncidentSite.objects.select_related("site").get(pk=incident_site_id)
    incident = locks.incident_for_update(row.incident_id)
    site = site_actions.lock_sites([row.site_id])[row.site_id]
    row.refresh_from_db()
    return row, incident, site


@retry_on_conflict
def confirm_site_control(incident_site: IncidentSite, *, actor: Actor) -> IncidentSite:
    """The health officer confirms that a site awaiting confirmation goes under control."""
    with transaction.atomic(durable=True):
        row, incident, site = _incident_site_for_update(incident_site.pk)
        require_scope(actor, organisation_id=site.organisation_id, site_id=site.pk)
        if incident.status != IncidentStatus.OPEN or row.control != IncidentSiteControl.PENDING:
            raise IncidentStateInvalid(details={"control": [row.get_control_display()]})
        row.control = IncidentSiteControl.CONTROLLED
        row.save(update_fields=["control"])
        if site.status == SiteStatus.NORMAL:
            reason = f"阳性病例管控 / under control after a positive case ({incident.person.name})"
            site_actions.change_site_status(site, SiteStatus.UNDER_CONTROL, reason=reason, actor=actor)
        audit.record(
            "confirm_site_control",
            incident,
            actor=actor,
            before={"site": site.code, "control": IncidentSiteControl.PENDING},
            after={"site": site.code, "control": row.control},
        )
        _notify_site(site, f"场所管控 / site under control: {site.name}", incident)
        return row


@retry_on_conflict
def lift_site_control(incident_site: IncidentSite, *, reason: str, actor: Actor) -> IncidentSite:
    """The health officer lifts (or declines) the control of one site of an open incident, with a
    reason. The site goes back to normal unless another open incident still holds it (lift that
    one too) or someone locked it down meanwhile."""
    require_text(reason, IncidentInvalid, "请填写解除原因 / give the reason")
    with transaction.atomic(durable=True):
        row, incident, site = _incident_site_for_update(incident_site.pk)
        require_scope(actor, organisation_id=site.organisation_id, site_id=site.pk)
        allowed = (IncidentSiteControl.CONTROLLED, IncidentSiteControl.PENDING, IncidentSiteControl.UNCHANGED)
        if incident.status != IncidentStatus.OPEN or row.control not in allowed:
            raise IncidentStateInvalid(details={"control": [row.get_control_display()]})
        before = {"site": site.code, "control": row.control, "site_status": site.status}
        was_controlled = row.control in (IncidentSiteControl.CONTROLLED, IncidentSiteControl.UNCHANGED)
        row.control = IncidentSiteControl.LIFTED
        row.control_note = reason.strip()[:255]
        row.save(update_fields=["control", "control_note"])
        if was_controlled and site.status == SiteStatus.UNDER_CONTROL and not _held_elsewhere(row):
            site = site_actions.change_site_status(site, SiteStatus.NORMAL, reason="", actor=actor)
        audit.record(
            "lift_site_control",
            incident,
            actor=actor,
            before=before,
            after={"site": site.code, "control": row.control, "site_status": site.status, "reason": row.control_note},
        )
        return row


def _held_elsewhere(row: IncidentSite) -> bool:
    """Whether another open incident keeps this row's site under control (read under the site lock)."""
    return (
        IncidentSite.objects.filter(
            site_id=row.site_id,
            incident__status=IncidentStatus.OPEN,
            control__in=[IncidentSiteControl.CONTROLLED, IncidentSiteControl.UNCHANGED],
        )
        .exclude(pk=row.pk)
        .exists()
    )


def _notify_site(site: Site, title: str, incident: Incident | None, body: str = "") -> None:
    notify(
        title,
        body or site.status_reason,
        level=Notification.Level.CRITICAL,
        link=f"/people/incidents/{incident.pk}/" if incident else f"/sites/{site.pk}/",
        organisation_id=site.organisation_id,
        site_id=site.pk,
        subject="outbreak",
    )


@retry_on_conflict
def lock_down_site(site: Site, *, reason: str, actor: Actor) -> Site:
    """The health officer locks a site down: its stock can't be dispatched, shipments are held.
    One transaction: the site's status (orgs' in-transaction function) and the notification."""
    require_text(reason, IncidentInvalid, "请填写封控原因 / give the reason for the lock-down")
    with transaction.atomic(durable=True):
        locked = site_actions.lock_sites([site.pk])[site.pk]
        require_scope(actor, organisation_id=locked.organisation_id, site_id=locked.pk)
        locked = site_actions.change_site_status(locked, SiteStatus.LOCKED_DOWN, reason=reason.strip(), actor=actor)
        _notify_site(locked, f"场所封控 / site locked down: {locked.name}", None, reason.strip())
    return locked


def recovered(person: Person, on_date: dt.date) -> bool:
    """A positive person recovers with negative tests on N distinct days after the positive one
    and no positive since; a close contact when isolation is over and a test on or after its
    last day was negative."""
    rules = queries.regime_for(person)
    if person.health_status == HealthStatus.POSITIVE:
        since = person.health_status_since or timezone.now()
        later = person.tests.filter(taken_at__gt=since)
        if later.filter(result=TestResult.POSITIVE).exists():
            return False
        days = {
            timezone.localtime(t).date()
            for t in later.filter(result=TestResult.NEGATIVE).values_list("taken_at", flat=True)
        }
        days = {d for d in days if d <= on_date}
        return len(days) >= rules.recovery_negative_days
    if person.health_status == HealthStatus.CLOSE_CONTACT:
        if person.isolation_until is not None and on_date <= person.isolation_until:
            return False
        start, _end = queries.day_bounds(person.isolation_until or on_date)
        return person.tests.filter(taken_at__gte=start, result=TestResult.NEGATIVE).exists()
    return False


def recovery_evidence(person: Person, on_date: dt.date) -> dict[str, Any]:
    """The facts the recovery rule decided on, kept in the audit trail: the rule and the negative
    tests (id, kind, date) that met it."""
    rules = queries.regime_for(person)
    if person.health_status == HealthStatus.POSITIVE:
        since = person.health_status_since or timezone.now()
        tests = person.tests.filter(taken_at__gt=since, result=TestResult.NEGATIVE)
        rule = f"{rules.recovery_negative_days}天阴性 / negative on {rules.recovery_negative_days} distinct days"
    else:
        start, _end = queries.day_bounds(person.isolation_until or on_date)
        tests = person.tests.filter(taken_at__gte=start, result=TestResult.NEGATIVE)
        rule = f"隔离期满且阴性 / isolation over ({person.isolation_until}) and a negative test"
    rows = [
        {"test": pk, "kind": kind, "date": timezone.localtime(at).date().isoformat()}
        for pk, kind, at in tests.order_by("taken_at", "id").values_list("pk", "kind", "taken_at")
        if timezone.localtime(at).date() <= on_date
    ]
    return {"rule": rule, "regime": rules.name, "negative_tests": rows}


@retry_on_conflict
def apply_recovery_rules(person: Person, *, on_date: dt.date, actor: Actor) -> bool:
    """Clear a person who meets the recovery rule, then close incidents that are over."""
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        if locked.health_status == HealthStatus.NORMAL or not recovered(locked, on_date):
            return False
        evidence = recovery_evidence(locked, on_date)
        _set_normal(locked, "apply_recovery_rules", reason="恢复规则 / recovery rule", actor=actor, evidence=evidence)
        _close_incidents_of(locked, actor=actor)
    return True


@retry_on_conflict
def clear_person(person: Person, *, reason: str, actor: Actor) -> Person:
    """The health officer clears a person by decision (e.g. released by the CDC), with a reason."""
    require_text(reason, IncidentInvalid, "请填写解除原因 / give the reason")
    with transaction.atomic(durable=True):
        locked = locks.person_for_update(person.pk)
        if locked.health_status == HealthStatus.NORMAL:
            raise IncidentInvalid(details={"person": ["此人状态正常 / this person is not under any measure"]})
        _set_normal(locked, "clear_person", reason=reason.strip(), actor=actor)
        _close_incidents_of(locked, actor=actor)
    return locked


def _close_incidents_of(person: Person, *, actor: Actor) -> list[Incident]:
    """Inside the caller's transaction: close the open incidents this person was the case or a
    contact of, when everyone in them is clear (each incident, then its sites, locked)."""
    ids = Incident.objects.filter(
        Q(person=person) | Q(contacts__person=person), status=IncidentStatus.OPEN
    ).values_list("pk", flat=True)
    closed = [_close_incident_if_finished(pk, actor=actor) for pk in sorted(set(ids))]
    return [row for row in closed if row is not None]


def _set_normal(
    person: Person, verb: str, *, reason: str, actor: Actor, evidence: dict[str, Any] | None = None
) -> None:
    before = {"health_status": person.health_status, "isolation_until": person.isolation_until}
    person.health_status = HealthStatus.NORMAL
    person.health_status_since = timezone.now()
    person.isolation_until = None
    person.save(update_fields=["health_status", "health_status_since", "isolation_until", "updated_at"])
    CloseContact.objects.filter(person=person, released_at__isnull=True).update(released_at=timezone.now())
    audit.record(
        verb,
        person,
        actor=actor,
        before=before,
        after={"health_status": HealthStatus.NORMAL, "isolation_until": None, "reason": reason, **(evidence or {})},
    )


def close_finished_incidents(*, actor: Actor) -> list[Incident]:
    """Close open incidents whose person and contacts are all clear; sites no other open
    incident holds go back to normal. Each incident closes in one transaction of its own
    (:func:`close_incident_if_finished`), so one that loses a race leaves the others closed."""
    closed = []
    for incident in Incident.objects.filter(status=IncidentStatus.OPEN).order_by("pk"):
        people = [incident.person_id, *incident.contacts.values_list("person_id", flat=True)]
        if Person.objects.filter(pk__in=people).exclude(health_status=HealthStatus.NORMAL).exists():
            continue  # not finished (checked again under the lock)
        row = close_incident_if_finished(incident.pk, actor=actor)
        if row is not None:
            closed.append(row)
    return closed


@retry_on_conflict
def close_incident_if_finished(incident_id: int, *, actor: Actor) -> Incident | None:
    """Close one open incident whose person and contacts are all clear, in one transaction: the
    incident, its sites' status restored (through ``orgs.actions.change_site_status``) and each
    site's ``cleared_at``. Answers the closed incident, or ``None`` when it is not finished (or
    someone closed it meanwhile).

    Locks the incident, then its sites in pk order, before reading whether another open incident
    still holds a site: two incidents sharing a site and closing together restore it once.
    """
    with transaction.atomic(durable=True):
        return _close_incident_if_finished(incident_id, actor=actor)


def _close_incident_if_finished(incident_id: int, *, actor: Actor) -> Incident | None:
    """:func:`close_incident_if_finished` inside the caller's transaction."""
    row = locks.incident_for_update(incident_id)
    if row.status != IncidentStatus.OPEN:
        return None
    people = [row.person_id, *row.contacts.values_list("person_id", flat=True)]
    if Person.objects.filter(pk__in=people).exclude(health_status=HealthStatus.NORMAL).exists():
        return None
    row.status = IncidentStatus.CLOSED
    row.closed_at = timezone.now()
    row.save(update_fields=["status", "closed_at", "updated_at"])
    audit.record("close_incident", row, actor=actor, before={"status": "open"}, after={"status": "closed"})
    site_rows = list(row.sites.select_related("site").order_by("site_id"))
    sites = site_actions.lock_sites(site_row.site_id for site_row in site_rows)
    for site_row in site_rows:
        still_held = IncidentSite.objects.filter(
            site_id=site_row.site_id,
            incident__status=IncidentStatus.OPEN,
            control__in=[IncidentSiteControl.CONTROLLED, IncidentSiteControl.UNCHANGED],
        ).exists()
        site = sites[site_row.site_id]
        restorable = (
            site_row.previous_status == SiteStatus.NORMAL and site_row.control == IncidentSiteControl.CONTROLLED
        )
        if restorable and not still_held and site.status in (SiteStatus.UNDER_CONTROL, SiteStatus.LOCKED_DOWN):
            site = site_actions.change_site_status(site, SiteStatus.NORMAL, reason="", actor=actor)
        cleared_at = timezone.now()
        IncidentSite.objects.filter(pk=site_row.pk).update(cleared_at=cleared_at)
        audit.record(
            "clear_incident_site",
            row,
            actor=actor,
            before={"site": site_row.site.code, "cleared_at": None},
            after={
                "site": site_row.site.code,
                "cleared_at": cleared_at,
                "site_status": site.status,
                "held_by_another_incident": still_held,
            },
        )
    return row
