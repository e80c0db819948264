"""Reads of communications and inspections shared by views and reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from baogong.command import playbooks
from baogong.command.choices import PostKind, RectificationStatus
from baogong.command.models import (
    ChecklistTemplate,
    CommunicationPost,
    Inspection,
    PlaybookStep,
    Rectification,
    ReportRecipient,
)
from baogong.core.scoping import scoped
from baogong.orgs.choices import SiteKind
from baogong.orgs.models import Site
from baogong.people import queries as people_queries
from baogong.people.models import Incident


def posts_for(user: Any) -> QuerySet[CommunicationPost]:
    return scoped(CommunicationPost.objects.select_related("organisation"), user)


def filter_posts(qs: QuerySet[CommunicationPost], params: Any) -> QuerySet[CommunicationPost]:
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("channel"):
        qs = qs.filter(channel__in=str(params["channel"]).split(","))
    if params.get("from"):
        qs = qs.filter(published_on__gte=params["from"])
    if params.get("to"):
        qs = qs.filter(published_on__lte=params["to"])
    return qs


def own_posts(qs: QuerySet[CommunicationPost]) -> QuerySet[CommunicationPost]:
    return qs.filter(kind=PostKind.OWN)


def coverage(qs: QuerySet[CommunicationPost]) -> QuerySet[CommunicationPost]:
    return qs.filter(kind=PostKind.COVERAGE)


def post_totals(qs: QuerySet[CommunicationPost]) -> dict[str, int]:
    """How many items and how many reads (the article's "74条…阅读超过2.2万次")."""
    agg = qs.aggregate(n=Count("id"), reads=Sum("reads"))
    return {"count": agg["n"] or 0, "reads": agg["reads"] or 0}


def venues_for(user: Any) -> QuerySet[Site]:
    return scoped(Site.objects.filter(kind=SiteKind.COMMERCIAL_VENUE, is_active=True), user).order_by("code")


def templates() -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.filter(is_active=True).prefetch_related("items")


def inspections_for(user: Any) -> QuerySet[Inspection]:
    return scoped(Inspection.objects.select_related("venue", "template", "inspector"), user)


def filter_inspections(qs: QuerySet[Inspection], params: Any) -> QuerySet[Inspection]:
    if params.get("venue"):
        qs = qs.filter(venue__code=params["venue"])
    if params.get("from"):
        qs = qs.filter(inspected_on__gte=params["from"])
    if params.get("to"):
        qs = qs.filter(inspected_on__lte=params["to"])
    return qs


def rectifications_for(user: Any) -> QuerySet[Rectification]:
    return scoped(Rectification.objects.select_related("finding__item", "finding__inspection__venue"), user).order_by(
        "deadline", "pk"
    )


def open_rectifications(user: Any) -> QuerySet[Rectification]:
    return rectifications_for(user).filter(status=RectificationStatus.OPEN)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class ComplianceRow:
    venue: Site
    week: dt.date  # the Monday
    inspections: int
    compliant_inspections: int
    points_checked: int
    points_compliant: int

    @property
    def rate(self) -> Decimal:
        """Share of checklist points found compliant, in per cent (one decimal)."""
        if not self.points_checked:
            return Decimal("0.0")
        return (Decimal(self.points_compliant) * 100 / self.points_checked).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def compliance(user: Any, start: dt.date | None = None, end: dt.date | None = None) -> list[ComplianceRow]:
    """Compliance per venue and week from full inspections (re-inspections of one point excluded)."""
    qs = inspections_for(user).filter(follows__isnull=True)
    if start:
        qs = qs.filter(inspected_on__gte=start)
    if end:
        qs = qs.filter(inspected_on__lte=end)
    rows: dict[tuple[int, dt.date], ComplianceRow] = {}
    venues: dict[int, Site] = {}
    for inspection in qs.order_by("inspected_on", "pk"):
        venues.setdefault(inspection.venue_id, inspection.venue)
        key = (inspection.venue_id, week_start(inspection.inspected_on))
        row = rows.get(key)
        if row is None:
            row = rows[key] = ComplianceRow(venues[inspection.venue_id], key[1], 0, 0, 0, 0)
        row.inspections += 1
        row.compliant_inspections += 1 if inspection.is_compliant else 0
        row.points_checked += inspection.items_checked
        row.points_compliant += inspection.items_compliant
    return sorted(rows.values(), key=lambda r: (r.venue.code, r.week))


def compliance_by_week(rows: list[ComplianceRow]) -> dict[dt.date, dict[str, int]]:
    weeks: dict[dt.date, dict[str, int]] = defaultdict(lambda: {"checked": 0, "compliant": 0})
    for row in rows:
        weeks[row.week]["checked"] += row.points_checked
        weeks[row.week]["compliant"] += row.points_compliant
    return dict(sorted(weeks.items()))


def recipients_for(user: Any) -> QuerySet[ReportRecipient]:
    return scoped(ReportRecipient.objects.filter(is_active=True), user)


def active_recipients() -> QuerySet[ReportRecipient]:
    """Every active recipient (for the morning task, which runs as the system)."""
    return ReportRecipient.objects.filter(is_active=True).order_by("pk")


# --- incident playbooks -----------------------------------------------------------------------


@dataclass
class PlaybookRow:
    """One step of an incident's playbook, ticked off or still to do."""

    code: str
    title: str
    hint: str
    done: PlaybookStep | None


@dataclass
class Playbook:
    incident: Incident
    kind: str
    title: str
    rows: list[PlaybookRow]

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows if row.done is not None)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def is_complete(self) -> bool:
        return self.done == self.total


def playbook_kind_of(incident: Incident) -> str:
    return playbooks.playbook_kind(incident.site.kind if incident.site_id and incident.site else None)


def playbook_for(incident: Incident) -> Playbook:
    """The checklist of ``incident``'s kind (by its main site), each step with who ticked it and when."""
    kind = playbook_kind_of(incident)
    ticked = {
        step.code: step for step in PlaybookStep.objects.filter(incident_id=incident.pk).select_related("done_by")
    }
    title, steps = playbooks.PLAYBOOKS[kind]
    rows = [PlaybookRow(s.code, str(s.title), str(s.hint), ticked.get(s.code)) for s in steps]
    return Playbook(incident, kind, str(title), rows)


def playbook_progress(user: Any, at: dt.datetime) -> dict[str, int]:
    """Across the incidents open at ``at`` that ``user`` may see: steps done by then, steps still
    open, and incidents whose playbook is complete. From history (a step ticked later counts as open)."""
    from django.db.models import Q

    incidents = list(
        incidents_visible(user)
        .filter(opened_at__lte=at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at))
        .select_related("site")
    )
    done_by_incident: dict[int, set[str]] = defaultdict(set)
    for incident_id, code in PlaybookStep.objects.filter(
        incident_id__in=[i.pk for i in incidents], done_at__lte=at
    ).values_list("incident_id", "code"):
        done_by_incident[incident_id].add(code)
    done = open_steps = complete = 0
    for incident in incidents:
        codes = set(playbooks.step_codes(playbook_kind_of(incident)))
        finished = len(codes & done_by_incident[incident.pk])
        done += finished
        open_steps += len(codes) - finished
        complete += finished == len(codes)
    return {"incidents": len(incidents), "done": done, "open": open_steps, "complete": complete}


def steps_done_between(user: Any, start: dt.datetime, end: dt.datetime) -> int:
    """Playbook steps ticked off in [start, end) on incidents ``user`` may see."""
    return (
        PlaybookStep.objects.filter(incident__in=incidents_visible(user), done_at__gte=start, done_at__lt=end)
        .values("pk")
        .count()
    )


def incidents_visible(user: Any) -> QuerySet[Incident]:
    return people_queries.incidents_for(user)
