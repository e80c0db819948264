"""Premises and tenants: create a property with its units, a tenant, link a portal user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError, NotFound
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.property import rules
from baogong.property.errors import (
    LeaseInvalid,
    TenantInvalid,
)
from baogong.property.models import (
    Property,
    Tenant,
    Unit,
)


def _full_clean(obj: Any, error: type[DomainError], **kwargs: Any) -> None:
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise error(details=exc.message_dict) from exc


def _require_visible(actor: Actor, *, organisation_id: int, tenant_id: int) -> None:
    """Refuse (``NotFound``) a lease or application the actor may not see: outside their scope and
    not of a tenant they follow in the tenant portal (the rule of ``queries.visible``)."""
    if user_scope(actor).allows(organisation_id=organisation_id):
        return
    if getattr(actor, "is_authenticated", False) and Tenant.objects.filter(pk=tenant_id, portal_users=actor).exists():
        return
    raise NotFound()


def _check_org(organisation_id: int, actor: Actor, error: type[DomainError]) -> None:
    if not user_scope(actor).allows(organisation_id=organisation_id):
        raise error(details={"organisation": [_("Not one of your organisations.")]})


# --- premises and tenants ---------------------------------------------------------------------
PROPERTY_FIELDS = ["code", "name", "owner", "address", "area", "use", "is_state_owned"]
TENANT_FIELDS = [
    "organisation",
    "code",
    "name",
    "kind",
    "uscc",
    "operator_name",
    "operator_id_number",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
    "is_state_owned",
    "is_subsidiary_of_large_group",
    "refused_epidemic_control",
    "contact_name",
    "contact_phone",
]


@retry_on_conflict
def create_property(data: Mapping[str, Any], units: Sequence[Mapping[str, Any]] = (), *, actor: Actor) -> Property:
    with transaction.atomic(durable=True):
        return _create_property(data, units, actor=actor)


def _create_property(data: Mapping[str, Any], units: Sequence[Mapping[str, Any]], *, actor: Actor) -> Property:
    prop = Property(**{k: v for k, v in data.items() if k in PROPERTY_FIELDS})
    _full_clean(prop, LeaseInvalid)
    _check_org(prop.owner_id, actor, LeaseInvalid)
    prop.save()
    made: list[Unit] = []
    for values in units:
        unit = Unit(property=prop, **values)
        # the premises are new: their own saved row, and no unit on file to clash with but the
        # ones before in the list (what full_clean would ask the database once per unit)
        _full_clean(unit, LeaseInvalid, exclude=["property"])
        if any(u.code == unit.code for u in made):
            clash = unit.unique_error_message(Unit, ("property", "code"))
            raise LeaseInvalid(details=ValidationError({NON_FIELD_ERRORS: [clash]}).message_dict)
        made.append(unit)
    Unit.objects.bulk_create(made)
    audit.record(
        "create_property",
        prop,
        actor=actor,
        after={**audit.snapshot(prop), "units": [dict(u) for u in units]},
    )
    return prop


def _tenant_rule_errors(tenant: Tenant) -> dict[str, list[str]]:
    """The tenant's own rules (before the model's field checks, which skip the fields named here)."""
    errors: dict[str, list[str]] = {}
    if tenant.kind == rules.ENTERPRISE:
        if not tenant.uscc:
            errors["uscc"] = [_("An enterprise needs its unified social credit code.")]
        if not tenant.industry:
            errors["industry"] = [_("An enterprise needs its industry for the size classification.")]
        else:
            for key in rules.required_indicators(tenant.industry):
                if getattr(tenant, key) is None:
                    errors[key] = [_("Needed for the size classification of this industry.")]
    elif tenant.kind == rules.INDIVIDUAL_BUSINESS:
        if not tenant.operator_id_number:
            errors["operator_id_number"] = [_("An individual business needs its operator's ID number.")]
        if not tenant.operator_name:
            errors["operator_name"] = [_("An individual business needs its operator's name.")]
    fields = {"subsidiary_of_large_group": "is_subsidiary_of_large_group", "state_owned": "is_state_owned"}
    for c in rules.tenant_contradictions(tenant.facts(), uscc=tenant.uscc):
        text = c.message if (get_language() or "").startswith("zh") else c.message_en
        errors.setdefault(fields.get(c.field, c.field), []).append(text)
    return errors


def _validate_tenant(tenant: Tenant) -> None:
    errors = _tenant_rule_errors(tenant)
    try:
        tenant.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise TenantInvalid(details=errors)


@retry_on_conflict
def create_tenant(data: Mapping[str, Any], *, actor: Actor) -> Tenant:
    with transaction.atomic(durable=True):
        return _create_tenant(data, actor=actor)


def _tenant_from(data: Mapping[str, Any]) -> Tenant:
    """The unsaved tenant ``data`` describes (identifiers trimmed and upper-cased)."""
    values = {k: v for k, v in data.items() if k in TENANT_FIELDS}
    for key in ("uscc", "operator_id_number"):
        if values.get(key):
            values[key] = str(values[key]).strip().upper()
    return Tenant(**values)


def _create_tenant(data: Mapping[str, Any], *, actor: Actor) -> Tenant:
    tenant = _tenant_from(data)
    _validate_tenant(tenant)
    _check_org(tenant.organisation_id, actor, TenantInvalid)
    tenant.save()
    audit.record("create_tenant", tenant, actor=actor, after=audit.snapshot(tenant))
    return tenant


@retry_on_conflict
def link_portal_user(tenant: Tenant, user: Any, *, actor: Actor) -> Tenant:
    """Let ``user`` follow this tenant's leases and applications in the tenant portal."""
    with transaction.atomic(durable=True):
        require_scope(actor, organisation_id=tenant.organisation_id)
        tenant.portal_users.add(user)
        audit.record("link_portal_user", tenant, actor=actor, after={"user": user.pk, "username": user.get_username()})
    return tenant
