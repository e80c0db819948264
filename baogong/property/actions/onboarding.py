"""Many tenants and leases at once (the Excel import, a market's roster): every row checked exactly
as ``create_tenant`` and ``create_lease`` check one, then all written with one insert per table.

The per-row path asks the database once per row and check (the code taken? the landlord, the
tenant, the head lease there? the head lease's units? the units let already, once they are
locked?); here each of those is one query for the whole batch (the units locked in pk order
before it), and the rows are checked in order against what the earlier rows made, as if each had
been written before the next was checked. The model's check constraints (end ≥ start, rent ≥ 0,
period 1/3/6/12) are not asked of the database: each is the same as a field check or a lease rule
that runs first, and Django skips a constraint on a field that already failed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError
from baogong.core.retry import retry_on_conflict
from baogong.property import locks
from baogong.property.actions.leases import UnitLet, _lease_from, _lease_rule_errors, double_let_errors, units_let
from baogong.property.actions.tenants import _check_org, _tenant_from, _tenant_rule_errors
from baogong.property.errors import LeaseInvalid, LeasesInvalid, TenantInvalid
from baogong.property.models import Lease, RentFreePeriod, Tenant, Unit


@dataclass(frozen=True)
class LeaseRow:
    """One lease to make (its ``units`` loaded with their property): ``lease`` as ``create_lease`` takes it; its tenant either named there
    (``"tenant"``: a stored tenant) or described by ``tenant`` (``create_tenant``'s data: a new
    tenant, or the one an earlier row of the batch made with the same code). ``parent_code``: a
    head lease made by an earlier row (refused as an unknown lease code when none did).
    ``refused``: what the caller found wrong with the lease part (an unknown unit), reported once
    the tenant passes, as the per-row import does."""

    lease: Mapping[str, Any]
    units: Sequence[Unit] = ()
    rent_free: Sequence[tuple[dt.date, dt.date]] = ()
    tenant: Mapping[str, Any] | None = None
    parent_code: str = ""
    refused: DomainError | None = None


@retry_on_conflict
def create_leases(rows: Sequence[LeaseRow], *, actor: Actor) -> list[Lease]:
    """Make the tenants and leases of ``rows`` in one transaction: all, or none and
    :class:`LeasesInvalid` with every row's errors."""
    with transaction.atomic(durable=True):
        return create_leases_many(rows, actor=actor)


def create_leases_many(rows: Sequence[LeaseRow], *, actor: Actor) -> list[Lease]:
    """In the caller's transaction: check every row, then write the tenants, leases, their units,
    rent-free periods and audit events (``create_tenant``, ``create_lease``) with one insert each.
    Any row refused: nothing is written and :class:`LeasesInvalid` names each refused row (by its
    index in ``rows``) with the error the per-row action gives it."""
    with transaction.atomic():  # a savepoint: rows written before a head lease they need are undone too
        batch = _Batch(rows, actor)
        for index, row in enumerate(rows):
            try:
                batch.add(row)
            except DomainError as exc:
                batch.refused[index] = exc
        if batch.refused:
            raise LeasesInvalid(
                details={"rows": [{"row": i, "details": e.details} for i, e in batch.refused.items()]},
                rows=batch.refused,
            )
        batch.write()
        return batch.made


@dataclass
class _Pending:
    lease: Lease
    units: list[Unit]
    rent_free: Sequence[tuple[dt.date, dt.date]]


class _Batch:
    """The reads shared by the rows, what the rows checked so far made, and the writes."""

    def __init__(self, rows: Sequence[LeaseRow], actor: Actor) -> None:
        self.actor = actor
        self.refused: dict[int, DomainError] = {}
        self.made: list[Lease] = []
        self.tenants: dict[str, Tenant] = {}  # made by this batch, by code
        self.leases: dict[str, Lease] = {}
        self.batch_made: set[int] = set()  # id() of the records this batch makes
        self.pending_tenants: list[Tenant] = []
        self.pending: list[_Pending] = []
        built: list[models.Model] = [_tenant_from(r.tenant) for r in rows if r.tenant is not None]
        built += [_lease_from(r.lease) for r in rows]
        self.existing = _existing_targets(built)
        self.taken: dict[Any, set[str]] = {
            Tenant: set(
                Tenant.objects.filter(code__in={t.code for t in built if isinstance(t, Tenant)}).values_list(
                    "code", flat=True
                )
            ),
            Lease: set(
                Lease.objects.filter(code__in={r.lease.get("code") for r in rows}).values_list("code", flat=True)
            ),
        }
        parents = {r.lease["parent"].pk for r in rows if r.lease.get("parent") is not None}
        self.parent_units: dict[int, set[int]] = defaultdict(set)
        for lease_id, unit_id in Lease.units.through.objects.filter(lease__in=parents).values_list(
            "lease_id", "unit_id"
        ):
            self.parent_units[lease_id].add(unit_id)
        # every unit of the batch locked once, in pk order, then their leases read once (as create_lease does per row)
        unit_ids = locks.units_for_update(u.pk for r in rows for u in r.units)
        self.let: dict[int, list[UnitLet]] = defaultdict(list)  # by unit: stored leases, then the batch's rows
        for let in units_let(unit_ids):
            self.let[let.unit_id].append(let)

    def add(self, row: LeaseRow) -> None:
        tenant = row.lease.get("tenant")
        if row.tenant is not None and tenant is None:
            tenant = self.tenants.get(str(row.tenant.get("code")))
            if tenant is None:
                tenant = self._check_tenant(_tenant_from(row.tenant))
        if row.refused is not None:
            raise row.refused
        data = dict(row.lease)
        if row.parent_code:
            data["parent"] = self.leases.get(row.parent_code)
            if data["parent"] is None:
                raise LeaseInvalid(details={"parent_lease": [_("unknown lease code")]})
            if id(data["parent"]) in {id(p.lease) for p in self.pending}:
                self.write()  # its head lease first: checked against it as stored
        lease = _lease_from({**data, "tenant": tenant})
        units = list(row.units)
        parent = lease.parent
        errors = _lease_rule_errors(
            lease, units, row.rent_free, lambda: self.parent_units[parent.pk] if parent is not None else set()
        )
        if "units" not in errors:
            errors.update(double_let_errors(lease, units, [let for u in units for let in self.let[u.pk]]))
        exclude = {*errors, "units", *(["tenant"] if id(tenant) in self.batch_made else [])}
        for field, messages in self._clean(lease, exclude).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise LeaseInvalid(details=errors)
        _check_org(lease.organisation_id, self.actor, LeaseInvalid)
        self.leases[lease.code] = lease
        self.batch_made.add(id(lease))
        self.pending.append(_Pending(lease, units, row.rent_free))
        self.made.append(lease)
        for u in dict.fromkeys(units):  # the later rows are checked against this one
            self.let[u.pk].append(UnitLet(u.pk, u.code, lease.code, lease.parent_id, lease.start, lease.end))

    def _check_tenant(self, tenant: Tenant) -> Tenant:
        errors = _tenant_rule_errors(tenant)
        for field, messages in self._clean(tenant, set(errors)).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise TenantInvalid(details=errors)
        _check_org(tenant.organisation_id, self.actor, TenantInvalid)
        self.tenants[tenant.code] = tenant
        self.batch_made.add(id(tenant))
        self.pending_tenants.append(tenant)
        return tenant

    def _clean(self, obj: models.Model, exclude: set[str]) -> dict[str, list[str]]:
        """``obj.full_clean(exclude=exclude)``'s errors, with the foreign keys' existence and the
        unique codes answered from the batch's reads."""
        model = type(obj)
        keys = [f for f in model._meta.fields if f.many_to_one and f.name not in exclude]
        errors: dict[str, Any] = {}
        try:
            obj.full_clean(
                exclude={*exclude, *(f.name for f in keys)}, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in keys:
            try:
                self._check_key(obj, field)
            except ValidationError as exc:
                errors[field.name] = exc.error_list
        order = [f.name for f in model._meta.fields]
        errors = {k: errors[k] for k in sorted(errors, key=lambda k: order.index(k) if k in order else len(order))}
        code = getattr(obj, "code", None)
        if "code" not in errors and "code" not in exclude and code is not None:
            if code in self.taken[model] or code in (self.tenants if model is Tenant else self.leases):
                errors["code"] = [obj.unique_error_message(model, ("code",))]
        return ValidationError(errors).message_dict if errors else {}

    def _check_key(self, obj: models.Model, field: Any) -> None:
        """What ``clean_fields`` asks of one foreign key (``ForeignKey.validate``), its existence from the batch's read."""
        raw = getattr(obj, field.attname)
        if field.blank and raw in field.empty_values:
            return
        value = field.to_python(raw)
        models.Field.validate(field, value, obj)
        if value is None or (field.remote_field.model, value) in self.existing:
            return
        target = field.remote_field.model
        raise ValidationError(
            field.error_messages["invalid"],
            code="invalid",
            params={
                "model": target._meta.verbose_name,
                "pk": value,
                "field": field.remote_field.field_name,
                "value": value,
            },
        )

    def write(self) -> None:
        """Insert what the rows checked so far made (a refused row later undoes it with the savepoint)."""
        tenants, pending = self.pending_tenants, self.pending
        self.pending_tenants, self.pending = [], []
        Tenant.objects.bulk_create(tenants)
        audit.record_many("create_tenant", [audit.Entry(t, after=audit.snapshot(t)) for t in tenants], actor=self.actor)
        Lease.objects.bulk_create([p.lease for p in pending])
        for p in pending:
            self.existing.add((Lease, p.lease.pk))
            self.parent_units[p.lease.pk] = {u.pk for u in p.units}
        through = Lease.units.through
        through.objects.bulk_create(
            through(lease_id=p.lease.pk, unit_id=pk) for p in pending for pk in dict.fromkeys(u.pk for u in p.units)
        )
        RentFreePeriod.objects.bulk_create(
            RentFreePeriod(lease=p.lease, start=start, end=end) for p in pending for start, end in p.rent_free
        )
        audit.record_many(
            "create_lease",
            [
                audit.Entry(
                    p.lease,
                    after={
                        **audit.snapshot(p.lease),
                        "units": [u.pk for u in p.units],
                        "rent_free": [[s.isoformat(), e.isoformat()] for s, e in p.rent_free],
                    },
                )
                for p in pending
            ],
            actor=self.actor,
        )


def _existing_targets(objects: Sequence[models.Model]) -> set[tuple[Any, Any]]:
    """``(model, pk)`` of the records the objects' foreign keys name that exist (one query per model)."""
    wanted: dict[Any, set[Any]] = defaultdict(set)
    for obj in objects:
        for field in obj._meta.fields:
            value = getattr(obj, field.attname)
            if field.many_to_one and value is not None:
                target: Any = field.remote_field
                wanted[(target.model, target.field_name)].add(value)
    found: set[tuple[Any, Any]] = set()
    for (model, name), values in wanted.items():
        found.update(
            (model, v) for v in model._base_manager.filter(**{f"{name}__in": values}).values_list(name, flat=True)
        )
    return found
