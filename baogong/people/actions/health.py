"""Health tests (one by one or imported) and testing regimes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.orgs.models import Site
from baogong.people import locks
from baogong.people.actions.common import CLOCK_SKEW, require_person_scope
from baogong.people.choices import HealthStatus, PersonKind, TestKind, TestResult, TestSource
from baogong.people.errors import HealthTestInvalid, RegimeInvalid
from baogong.people.models import HealthRegime, HealthTest, Person


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
    actor: Actor,
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
        require_person_scope(actor, person)
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
        if result == TestResult.POSITIVE:
            # The incident, its contacts and its sites' control are part of this transaction.
            outbreak.open_incident(test, actor=actor)
    if result == TestResult.NEGATIVE:
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
    actor: Actor,
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
        recorded_by=audit.user_of(actor),
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
    "site_control",
    "is_active",
]


@retry_on_conflict
def save_regime(data: Mapping[str, Any], *, regime: HealthRegime | None = None, actor: Actor) -> HealthRegime:
    """Create or change a testing regime (the health officer's configuration)."""
    with transaction.atomic(durable=True):
        target = locks.regime_for_update(regime.pk) if regime else HealthRegime()
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
