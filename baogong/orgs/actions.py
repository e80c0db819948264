"""Every state change of organisations, sites and grants."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.excel import Column, ImportFailed, parse_count, parse_decimal, raise_if_errors, read_rows
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.core.transactions import require_transaction
from baogong.orgs import locks
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.errors import SiteInvalid
from baogong.orgs.models import AdministrativeArea, Grant, Organisation, Site, SiteStatusChange

# What a site action may set, in the order the API and the form show them.
SITE_FIELDS = [
    "code",
    "name",
    "kind",
    "organisation",
    "area",
    "address",
    "lat",
    "lon",
    "status",
    "status_reason",
    "contact_name",
    "contact_phone",
    "priority_tier",
    "headcount",
    "receiving_from",
    "receiving_until",
    "is_active",
]


def _validate_site(site: Site) -> None:
    try:
        site.full_clean()
    except ValidationError as exc:
        raise SiteInvalid(details=exc.message_dict) from exc


def _check_org_allowed(organisation: Organisation, actor: Actor) -> None:
    if not user_scope(actor).allows(organisation_id=organisation.pk):
        raise SiteInvalid(details={"organisation": [_("You may not add sites to this organisation.")]})


@retry_on_conflict
def create_site(data: Mapping[str, Any], *, actor: Actor) -> Site:
    with transaction.atomic(durable=True):
        return _create_site(data, actor=actor)


def _create_site(data: Mapping[str, Any], *, actor: Actor) -> Site:
    values = {k: v for k, v in data.items() if k in SITE_FIELDS}
    site = Site(**values)
    if "priority_tier" not in values or values["priority_tier"] is None:
        site.priority_tier = Site.default_tier(site.kind)
    _validate_site(site)
    _check_org_allowed(site.organisation, actor)
    site.save()
    audit.record("create_site", site, actor=actor, after=audit.snapshot(site))
    return site


@retry_on_conflict
def update_site(site: Site, data: Mapping[str, Any], *, actor: Actor) -> Site:
    with transaction.atomic(durable=True):
        locked = locks.site_for_update(site.pk)
        require_scope(actor, organisation_id=locked.organisation_id, site_id=locked.pk)
        before = audit.snapshot(locked)
        for key, value in data.items():
            if key in SITE_FIELDS and key not in {"code", "status", "status_reason"}:
                setattr(locked, key, value)
        _validate_site(locked)
        if "organisation" in data:
            _check_org_allowed(locked.organisation, actor)
        locked.save()
        after = audit.snapshot(locked)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            audit.record("update_site", locked, actor=actor, before={k: before[k] for k in changed}, after=changed)
        return locked


@retry_on_conflict
def set_site_status(site: Site, status: str, *, reason: str = "", actor: Actor) -> Site:
    """Put a site under control, lock it down, close it or bring it back to normal."""
    _validate_site_status(status, reason)
    with transaction.atomic(durable=True):
        locked = locks.site_for_update(site.pk)
        require_scope(actor, organisation_id=locked.organisation_id, site_id=locked.pk)
        return change_site_status(locked, status, reason=reason, actor=actor)


def _validate_site_status(status: str, reason: str) -> None:
    if status not in SiteStatus.values:
        raise SiteInvalid(details={"status": [_("Unknown status.")]})
    if status != SiteStatus.NORMAL and not reason.strip():
        raise SiteInvalid(details={"reason": [_("Give a reason for this status.")]})


def lock_sites(ids: Iterable[int]) -> dict[int, Site]:
    """Lock the sites of ``ids`` in pk order for the caller's transaction (before reading a status
    the caller decides on)."""
    _require_transaction()
    return locks.sites_for_update(ids)


def change_site_status(site: Site, status: str, *, reason: str = "", actor: Actor) -> Site:
    """:func:`set_site_status` inside the caller's transaction (another app's use case that must
    change a site's status together with its own rows): validates, locks the site, writes, audits
    ``set_site_status``. Refuses to run outside a transaction."""
    _require_transaction()
    _validate_site_status(status, reason)
    locked = locks.site_for_update(site.pk)
    before = {"status": locked.status, "status_reason": locked.status_reason}
    locked.status = status
    locked.status_reason = reason.strip()
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    event = audit.record(
        "set_site_status",
        locked,
        actor=actor,
        before=before,
        after={"status": locked.status, "status_reason": locked.status_reason},
    )
    if before["status"] != locked.status:
        SiteStatusChange.objects.create(
            site=locked,
            from_status=before["status"],
            to_status=locked.status,
            reason=locked.status_reason,
            at=event.at,
            actor_label=event.actor_label,
        )
    return locked


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "This orgs function runs inside the caller's transaction; wrap the call in transaction.atomic() "
            "or use the durable action."
        )


@retry_on_conflict
def grant_access(
    user: Any,
    *,
    organisation: Organisation | None = None,
    site: Site | None = None,
    everything: bool = False,
    actor: Actor,
) -> Grant:
    with transaction.atomic(durable=True):
        return add_grant(user, organisation=organisation, site=site, everything=everything, actor=actor)


# --- inside another action's transaction ------------------------------------------------------
# Other apps (the demo's base data and accounts) create organisations' records through these,
# in their own transaction, never with the models' managers.


def add_grant(
    user: Any,
    *,
    organisation: Organisation | None = None,
    site: Site | None = None,
    everything: bool = False,
    actor: Actor,
) -> Grant:
    """:func:`grant_access` inside the caller's transaction (same audit event, nothing when the
    grant exists already)."""
    require_transaction("orgs.actions.add_grant")
    grant, created = Grant.objects.get_or_create(user=user, is_global=everything, organisation=organisation, site=site)
    if created:
        audit.record(
            "grant_access",
            grant,
            actor=actor,
            after={
                "user": user.pk,
                "is_global": everything,
                "organisation": getattr(organisation, "pk", None),
                "site": getattr(site, "pk", None),
            },
            organisation_id=getattr(organisation, "pk", None),
            site_id=getattr(site, "pk", None),
        )
    return grant


def add_organisation(data: Mapping[str, Any], *, actor: Actor) -> Organisation:
    """A new organisation (code, name, short_name, kind, is_group_member, parent), inside the
    caller's transaction; audited as ``create_organisation``."""
    require_transaction("orgs.actions.add_organisation")
    organisation = Organisation.objects.create(**data)
    audit.record("create_organisation", organisation, actor=actor, after=audit.snapshot(organisation))
    return organisation


def ensure_area(
    code: str,
    *,
    name: str,
    level: str,
    parent: AdministrativeArea | None = None,
    lat: decimal.Decimal | None = None,
    lon: decimal.Decimal | None = None,
) -> tuple[AdministrativeArea, bool]:
    """The administrative area with this code, created when missing (base data), inside the
    caller's transaction. Answers the area and whether it was created."""
    require_transaction("orgs.actions.ensure_area")
    return AdministrativeArea.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "lat": lat, "lon": lon}
    )


# --- Excel import ---------------------------------------------------------------------------
def _kind(value: Any) -> str:
    text = str(value).strip()
    for choice in SiteKind:
        if text == choice.value:
            return choice.value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                if text == str(choice.label):
                    return choice.value
    raise ValueError(_("unknown site kind"))


def _coordinate(value: Any) -> decimal.Decimal:
    return parse_decimal(value).quantize(decimal.Decimal("0.000001"))


SITE_COLUMNS = [
    Column("code", "编码 / code", required=True, example="DP-YX-001"),
    Column("name", "名称 / name", required=True, example="杨行镇杨鑫邻里中心配送点"),
    Column("kind", "类型 / kind", required=True, parse=_kind, example="delivery_point"),
    Column("organisation", "所属组织编码 / organisation code", required=True, example="GOV-BS"),
    Column("area", "街镇编码 / area code", example="310113103"),
    Column("address", "地址 / address", example="杨泰路258号"),
    Column("lat", "纬度 / latitude", parse=_coordinate, example="31.383000"),
    Column("lon", "经度 / longitude", parse=_coordinate, example="121.436000"),
    Column("contact_name", "联系人 / contact", example="张三"),
    Column("contact_phone", "联系电话 / phone", example="021-56600000"),
    Column("priority_tier", "优先级 / tier (1-5)", parse=lambda v: int(parse_decimal(v)), example="4"),
    Column("headcount", "服务人数 / people served", parse=parse_count, example="12000"),
]


@retry_on_conflict
def import_sites(file: Any, *, actor: Actor) -> list[Site]:
    """Create or update sites from a workbook: every row valid, or nothing is written."""
    rows, errors = read_rows(file, SITE_COLUMNS)
    orgs = {o.code: o for o in Organisation.objects.all()}
    areas = {a.code: a for a in AdministrativeArea.objects.all()}
    existing = {s.code: s for s in Site.objects.filter(code__in=[r[1].get("code") for r in rows])}
    scope = user_scope(actor)
    seen: dict[str, int] = {}
    prepared: list[tuple[int, dict[str, Any]]] = []
    for number, values in rows:
        code = str(values.get("code") or "")
        if code in seen:
            errors.append(
                {"row": number, "field": "code", "message": _("duplicate of row %(row)d") % {"row": seen[code]}}
            )
            continue
        if code:
            seen[code] = number
        org = orgs.get(values.get("organisation") or "")
        if values.get("organisation") and org is None:
            errors.append({"row": number, "field": "organisation", "message": _("unknown organisation code")})
        elif org is not None and not scope.allows(organisation_id=org.pk):
            errors.append({"row": number, "field": "organisation", "message": _("not one of your organisations")})
        area = None
        if values.get("area"):
            area = areas.get(values["area"])
            if area is None:
                errors.append({"row": number, "field": "area", "message": _("unknown area code")})
        site = existing.get(code) or Site(code=code)
        if site.pk and not scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
            errors.append({"row": number, "field": "code", "message": _("code belongs to a site outside your scope")})
            continue
        for key in ("name", "kind", "address", "lat", "lon", "contact_name", "contact_phone", "headcount"):
            if values.get(key) is not None or key in ("name", "kind"):
                setattr(site, key, values.get(key) if values.get(key) is not None else getattr(site, key))
        if org is not None:
            site.organisation = org
        site.area = area
        site.priority_tier = values.get("priority_tier") or (
            site.priority_tier if site.pk else Site.default_tier(site.kind)
        )
        if org is not None:
            flagged = {e["field"] for e in errors if e["row"] == number}
            try:
                site.full_clean(exclude=["organisation", "area"], validate_unique=not site.pk)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    if field not in flagged:
                        errors.append({"row": number, "field": field, "message": "; ".join(messages)})
        prepared.append((number, {"site": site}))
    raise_if_errors(errors)
    if not prepared:
        raise ImportFailed(_("The file has no data rows."), details={"rows": []})
    saved = []
    with transaction.atomic(durable=True):
        for _number, item in prepared:
            site = item["site"]
            created = site.pk is None
            before = None if created else audit.snapshot(Site.objects.get(pk=site.pk))
            site.save()
            audit.record(
                "import_site",
                site,
                actor=actor,
                before=before,
                after=audit.snapshot(site),
            )
            saved.append(site)
    return saved


@retry_on_conflict
def set_one_person_approval(organisation: Organisation, allowed: bool, *, reason: str, actor: Actor) -> Organisation:
    """Let (or stop letting) one person both make and check documents of a small organisation. Audited."""
    if not getattr(actor, "is_system", False) and not getattr(actor, "has_perm", lambda _p: False)(
        "orgs.change_organisation"
    ):
        raise SiteInvalid(details={"allows_one_person_approval": [_("You may not change this setting.")]})
    if allowed and not reason.strip():
        raise SiteInvalid(details={"reason": [_("Give a reason.")]})
    with transaction.atomic(durable=True):
        locked = locks.organisation_for_update(organisation.pk)
        require_scope(actor, organisation_id=locked.pk)
        before = {"allows_one_person_approval": locked.allows_one_person_approval}
        locked.allows_one_person_approval = allowed
        locked.save(update_fields=["allows_one_person_approval", "updated_at"])
        audit.record(
            "set_one_person_approval",
            locked,
            actor=actor,
            before=before,
            after={"allows_one_person_approval": allowed, "reason": reason.strip()[:255]},
        )
        return locked
