"""Reads shared by views, the API, other apps (fleet, distribution) and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from baogong.core.scoping import scoped
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Organisation, Site
from baogong.people.choices import DutyType, HealthStatus, TestKind, TestResult
from baogong.people.models import (
    ClosedLoopStay,
    Deployment,
    HealthCheck,
    HealthRegime,
    HealthTest,
    Incident,
    LodgingStay,
    MealLog,
    Person,
)


@dataclass(frozen=True)
class RegimeRules:
    """The rules that apply to one person (from a :class:`HealthRegime` or the defaults)."""

    name: str
    pcr_valid_hours: int = 48
    antigen_same_day: bool = True
    antigen_per_day: int = 1
    pcr_every_days: int = 2
    requires_closed_loop: bool = False
    contact_lookback_days: int = 2
    isolation_days: int = 7
    recovery_negative_days: int = 2
    site_control: str = "immediate"


def default_rules() -> RegimeRules:
    """Defaults, overridable with ``settings.BAOGONG_PEOPLE_DEFAULT_REGIME`` (a dict of fields)."""
    overrides: dict[str, Any] = dict(getattr(settings, "BAOGONG_PEOPLE_DEFAULT_REGIME", {}) or {})
    overrides.setdefault("name", "default")
    return RegimeRules(**overrides)


def _rules(regime: HealthRegime) -> RegimeRules:
    return RegimeRules(
        name=regime.name,
        pcr_valid_hours=regime.pcr_valid_hours,
        antigen_same_day=regime.antigen_same_day,
        antigen_per_day=regime.antigen_per_day,
        pcr_every_days=regime.pcr_every_days,
        requires_closed_loop=regime.requires_closed_loop,
        contact_lookback_days=regime.contact_lookback_days,
        isolation_days=regime.isolation_days,
        recovery_negative_days=regime.recovery_negative_days,
        site_control=regime.site_control,
    )


def site_control_for(site: Site) -> str:
    """A site's policy when a positive case touched it (``SiteControl``): the most specific active
    regime that names no kind of person — the site's own, then its kind's, then the default."""
    best: tuple[int, int, str] | None = None
    regimes = HealthRegime.objects.filter(is_active=True, person_kind="").filter(Q(site__isnull=True) | Q(site=site))
    for regime in regimes.order_by("id"):
        if regime.site_kind and regime.site_kind != site.kind:
            continue
        score = (2 if regime.site_id else 0) + (1 if regime.site_kind else 0)
        if best is None or score > best[0]:
            best = (score, -regime.pk, regime.site_control)
    return best[2] if best else default_rules().site_control


def regime_for(person: Person) -> RegimeRules:
    """The most specific active regime: home site, its kind, the kind of person, then the default."""
    site = person.home_site
    candidates = HealthRegime.objects.filter(is_active=True).filter(
        Q(site__isnull=True) | Q(site_id=person.home_site_id)
    )
    best: tuple[int, int, HealthRegime] | None = None
    for regime in candidates.order_by("id"):
        if regime.site_kind and (site is None or regime.site_kind != site.kind):
            continue
        if regime.person_kind and regime.person_kind != person.kind:
            continue
        score = (4 if regime.site_id else 0) + (2 if regime.site_kind else 0) + (1 if regime.person_kind else 0)
        if best is None or score > best[0]:
            best = (score, -regime.pk, regime)
    return _rules(best[2]) if best else default_rules()


def day_bounds(on_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start (inclusive) and end (exclusive) of a local calendar day, as aware datetimes."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(on_date, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(on_date + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def valid_negative_test(person: Person, on_date: dt.date, rules: RegimeRules | None = None) -> HealthTest | None:
    """The negative test that covers ``on_date``: a PCR still valid at the end of that day, or
    (if the regime accepts it) an antigen test taken that day."""
    rules = rules or regime_for(person)
    start, end = day_bounds(on_date)
    window = Q(kind=TestKind.PCR, taken_at__gte=end - dt.timedelta(hours=rules.pcr_valid_hours), taken_at__lt=end)
    if rules.antigen_same_day:
        window |= Q(kind=TestKind.ANTIGEN, taken_at__gte=start, taken_at__lt=end)
    return person.tests.filter(window, result=TestResult.NEGATIVE).order_by("-taken_at", "-id").first()


def open_closed_loop(person: Person, at: dt.datetime) -> ClosedLoopStay | None:
    return (
        person.closed_loop_stays.filter(started_at__lte=at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .select_related("site")
        .first()
    )


def health_reasons(person: Person, on_date: dt.date) -> list[str]:
    """Positive and not recovered, or a close contact in isolation on ``on_date`` (empty: neither)."""
    reasons: list[str] = []
    if person.health_status == HealthStatus.POSITIVE:
        since = timezone.localtime(person.health_status_since).date() if person.health_status_since else None
        reasons.append(
            f"检测阳性，尚未康复（自 {since}）/ tested positive and not recovered (since {since})"
            if since
            else "检测阳性，尚未康复 / tested positive and not recovered"
        )
    if person.health_status == HealthStatus.CLOSE_CONTACT and (
        person.isolation_until is None or on_date <= person.isolation_until
    ):
        until = person.isolation_until
        reasons.append(
            f"密切接触者，隔离至 {until} / close contact in isolation until {until}"
            if until
            else "密切接触者，隔离中 / close contact in isolation"
        )
    return reasons


def person_clearance(person: Person, on_date: dt.date) -> list[str]:
    """Why ``person`` may not be dispatched on ``on_date`` (Chinese / English); empty = cleared.

    Used by fleet (driver eligibility) and distribution. Reasons: inactive, positive and not
    recovered, close contact in isolation, no valid negative test, not in the closed loop the
    regime requires.
    """
    person = Person.objects.select_related("home_site").get(pk=person.pk)
    rules = regime_for(person)
    reasons: list[str] = []
    if not person.is_active:
        reasons.append("人员已停用 / person is inactive")
    reasons.extend(health_reasons(person, on_date))
    if valid_negative_test(person, on_date, rules) is None:
        antigen = "或当日抗原阴性" if rules.antigen_same_day else ""
        antigen_en = " or a negative antigen test the same day" if rules.antigen_same_day else ""
        reasons.append(
            f"无有效阴性检测（{rules.pcr_valid_hours}小时内核酸{antigen}）"
            f" / no valid negative test (PCR within {rules.pcr_valid_hours} h{antigen_en})"
        )
    if rules.requires_closed_loop:
        start, _end = day_bounds(on_date)
        if open_closed_loop(person, start) is None:
            reasons.append("未纳入闭环管理 / not in closed-loop management")
    return reasons


def is_cleared(person: Person, on_date: dt.date) -> bool:
    return not person_clearance(person, on_date)


def people_for(user: Any) -> QuerySet[Person]:
    return scoped(Person.objects.select_related("organisation", "home_site"), user)


def tests_for(user: Any) -> QuerySet[HealthTest]:
    return scoped(HealthTest.objects.select_related("person", "site", "recorded_by"), user)


def find_by_id_number(value: str) -> Person | None:
    from baogong.people import crypto

    return Person.objects.filter(id_number_hash=crypto.lookup_hash("idcard", value)).first()


# --- Deployment counts (people, person-times 人次, person-days) --------------------------------
@dataclass(frozen=True)
class DeploymentCount:
    people: int
    person_times: int
    person_days: int


def deployments_in(
    queryset: QuerySet[Deployment], start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Deployment]:
    """Deployments overlapping [start, end] (both inclusive; None = open)."""
    if start is not None:
        queryset = queryset.filter(ends_on__gte=start)
    if end is not None:
        queryset = queryset.filter(starts_on__lte=end)
    return queryset


def count_deployments(
    queryset: QuerySet[Deployment], start: dt.date | None = None, end: dt.date | None = None
) -> DeploymentCount:
    """Distinct people, deployments (人次) and days worked inside the period."""
    rows = list(deployments_in(queryset, start, end).values_list("person_id", "starts_on", "ends_on"))
    days = 0
    for _person, first, last in rows:
        lo = max(first, start) if start else first
        hi = min(last, end) if end else last
        days += (hi - lo).days + 1
    return DeploymentCount(people=len({r[0] for r in rows}), person_times=len(rows), person_days=days)


def deployment_breakdown(
    queryset: QuerySet[Deployment], start: dt.date | None = None, end: dt.date | None = None
) -> list[dict[str, Any]]:
    """Counts by duty type and enterprise: ``[{duty_type, organisation, people, person_times, person_days}]``."""
    groups: dict[tuple[str, int | None], list[tuple[int, dt.date, dt.date]]] = {}
    names = dict(Organisation.objects.values_list("id", "short_name"))
    full = dict(Organisation.objects.values_list("id", "name"))
    for duty, org_id, person, first, last in deployments_in(queryset, start, end).values_list(
        "duty_type", "organisation_id", "person_id", "starts_on", "ends_on"
    ):
        groups.setdefault((duty, org_id), []).append((person, first, last))
    result = []
    for (duty, org), rows in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or 0)):
        days = sum(((min(b, end) if end else b) - (max(a, start) if start else a)).days + 1 for _p, a, b in rows)
        result.append(
            {
                "duty_type": duty,
                "duty_label": str(DutyType(duty).label),
                "organisation": org,
                "organisation_name": (names.get(org) or full.get(org) or "—") if org else "—",
                "people": len({p for p, _a, _b in rows}),
                "person_times": len(rows),
                "person_days": days,
            }
        )
    return result


def headcounts(
    queryset: QuerySet[Deployment], start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """The article's figures from deployment records: staff on supply, production, business and
    watch; community volunteers; batches and person-times sent to volunteer teams."""
    on_duty = queryset.filter(duty_type__in=[DutyType.SUPPLY, DutyType.PRODUCTION, DutyType.BUSINESS, DutyType.WATCH])
    community = queryset.filter(duty_type=DutyType.COMMUNITY)
    teams = deployments_in(queryset.filter(duty_type=DutyType.VOLUNTEER_TEAM), start, end)
    return {
        "on_duty": count_deployments(on_duty, start, end),
        "community": count_deployments(community, start, end),
        "volunteer_team": count_deployments(teams),
        "batches": teams.exclude(batch__isnull=True).values("batch").distinct().count(),
        "by_type": {duty: count_deployments(queryset.filter(duty_type=duty), start, end) for duty in DutyType.values},
    }


def deployments_for(user: Any) -> QuerySet[Deployment]:
    return scoped(Deployment.objects.select_related("person", "organisation", "site", "batch"), user)


def on_duty_by_enterprise(user: Any, on_date: dt.date) -> list[dict[str, Any]]:
    """People on duty today per enterprise (distinct people)."""
    rows: dict[str, set[int]] = {}
    for org, person in deployments_in(deployments_for(user), on_date, on_date).values_list(
        "organisation__short_name", "person_id"
    ):
        rows.setdefault(org or "—", set()).add(person)
    return [{"organisation": k, "people": len(v)} for k, v in sorted(rows.items(), key=lambda kv: -len(kv[1]))]


# --- Tests due, positives, incidents, sites by status -----------------------------------------
@dataclass(frozen=True)
class DueTests:
    """The tests one person owes on a day under their regime, and what they did."""

    person: Person
    rules: RegimeRules
    antigen_due: int
    antigen_done: int
    pcr_due: bool
    pcr_done: bool

    @property
    def due(self) -> int:
        return self.antigen_due + (1 if self.pcr_due else 0)

    @property
    def done(self) -> int:
        return min(self.antigen_done, self.antigen_due) + (1 if self.pcr_due and self.pcr_done else 0)

    def missing(self) -> list[str]:
        """What is still missing (Chinese / English); empty when every due test is done."""
        reasons = []
        short = self.antigen_due - self.antigen_done
        if short > 0:
            reasons.append(f"今日抗原检测还差{short}次 / {short} antigen test(s) due today not done")
        if self.pcr_due and not self.pcr_done:
            reasons.append(
                f"今日应做核酸（每{self.rules.pcr_every_days}天一次）/ PCR due today (every {self.rules.pcr_every_days} days)"
            )
        return reasons


def tests_due(user: Any, on_date: dt.date) -> list[DueTests]:
    """People on duty or in a closed loop on ``on_date`` and the tests their regime asks of them
    that day: ``antigen_per_day`` antigen tests, and a PCR when none was taken in the
    ``pcr_every_days - 1`` days before (the "2+2" regime: 2 antigen a day, a PCR every 2 days)."""
    start, end = day_bounds(on_date)
    active_ids = set(deployments_in(deployments_for(user), on_date, on_date).values_list("person_id", flat=True))
    active_ids |= set(
        scoped(ClosedLoopStay.objects.all(), user)
        .filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
        .values_list("person_id", flat=True)
    )
    people = list(
        Person.objects.filter(pk__in=active_ids, is_active=True)
        .select_related("home_site", "organisation")
        .order_by("name", "id")
    )
    rules_of = {p.pk: regime_for(p) for p in people}
    lookback = max([r.pcr_every_days for r in rules_of.values()] + [1])
    window_start, _ = day_bounds(on_date - dt.timedelta(days=lookback - 1))
    taken: dict[int, list[tuple[str, dt.datetime]]] = {}
    for person_id, kind, at in HealthTest.objects.filter(
        person_id__in=active_ids, taken_at__gte=window_start, taken_at__lt=end
    ).values_list("person_id", "kind", "taken_at"):
        taken.setdefault(person_id, []).append((kind, at))
    result = []
    for person in people:
        rules = rules_of[person.pk]
        mine = taken.get(person.pk, [])
        antigen_done = sum(1 for kind, at in mine if kind == TestKind.ANTIGEN and at >= start)
        pcr_done = any(kind == TestKind.PCR and at >= start for kind, at in mine)
        pcr_due = False
        if rules.pcr_every_days:
            since, _ = day_bounds(on_date - dt.timedelta(days=rules.pcr_every_days - 1))
            pcr_due = not any(kind == TestKind.PCR and since <= at < start for kind, at in mine)
        result.append(
            DueTests(
                person=person,
                rules=rules,
                antigen_due=rules.antigen_per_day,
                antigen_done=antigen_done,
                pcr_due=pcr_due,
                pcr_done=pcr_done,
            )
        )
    return result


def overdue_tests(user: Any, on_date: dt.date) -> list[tuple[Person, list[str]]]:
    """People on duty or in a closed loop who owe tests under their regime that day, or who have
    no valid negative test: ``[(person, reasons)]``."""
    overdue = []
    for row in tests_due(user, on_date):
        reasons = row.missing()
        if valid_negative_test(row.person, on_date, row.rules) is None:
            reasons += [r for r in person_clearance(row.person, on_date) if r not in reasons]
        if reasons:
            overdue.append((row.person, reasons))
    return overdue


def has_person(user: Any) -> bool:
    """Whether ``user`` is linked to a person record (the daily check-in needs one)."""
    return bool(getattr(user, "is_authenticated", False)) and Person.objects.filter(user_id=user.pk).exists()


def incidents_for(user: Any) -> QuerySet[Incident]:
    return scoped(Incident.objects.select_related("person", "test", "site", "organisation"), user)


def sites_by_status(user: Any) -> dict[str, int]:
    from baogong.orgs.models import Site

    counts = {status: 0 for status in SiteStatus.values}
    for status in scoped(Site.objects.filter(is_active=True), user).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def positives_between(user: Any, start: dt.date, end: dt.date) -> int:
    first, _ = day_bounds(start)
    _, last = day_bounds(end)
    return tests_for(user).filter(result=TestResult.POSITIVE, taken_at__gte=first, taken_at__lt=last).count()


def checks_on(site: Any, on_date: dt.date) -> QuerySet[HealthCheck]:
    return HealthCheck.objects.filter(Q(site=site) | Q(person__home_site=site), checked_on=on_date)


def actor_health_refusals(actor: Any, on_date: dt.date) -> list[str]:
    """Why the user acting may not load or dispatch goods on ``on_date``: their own person (the
    login's linked person) is positive and not recovered, or a close contact in isolation.
    Registered in :mod:`baogong.distribution.hooks` by :class:`baogong.people.apps.PeopleConfig`."""
    user_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if user_id is None:
        return []
    person = Person.objects.filter(user_id=user_id).first()
    if person is None:
        return []
    return health_reasons(person, on_date)


# --- Lodging sites (hotels, isolation points, homes) -------------------------------------------
def lodging_totals(user: Any, start: dt.date, end: dt.date) -> dict[str, int]:
    """Stays begun (check-ins) and meals served (servings logged) at the lodging sites the user
    may see, between the two local days (inclusive)."""
    first, _ = day_bounds(start)
    _, last = day_bounds(end)
    stays = scoped(LodgingStay.objects.all(), user).filter(checked_in_at__gte=first, checked_in_at__lt=last).count()
    meals = (
        scoped(MealLog.objects.all(), user)
        .filter(served_on__gte=start, served_on__lte=end)
        .aggregate(total=Sum("servings"))["total"]
    )
    return {"stays": stays, "meals": int(meals or 0)}
