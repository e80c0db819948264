"""Reads shared by views, the API, other apps (fleet, distribution) and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from baogong.core.scoping import scoped
from baogong.people.choices import HealthStatus, TestKind, TestResult
from baogong.people.models import ClosedLoopStay, HealthRegime, HealthTest, Person


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
    )


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
