"""Re-plan (重新调配) the open supply of a warehouse that is not normal any more.

A warehouse under control, locked down or closed may not ship. Its open reservations (confirmed
allocations not yet dispatched) and its shipments not yet dispatched (planned, picked, loaded)
are re-sourced from the other normal warehouses with the allocation engine (strict tiers, fair
shares of what is short, minimum units × km sourcing — the same exact solver as a run).

:func:`preview_replan` computes the diff and changes nothing: what moves from where to where,
what becomes short and for whom (by tier), and the extra unit-km. :func:`replan_warehouse`
recomputes it under the locks and applies it in one transaction — the withdrawn shipments
(their route-plan stops through ``hooks.SHIPMENT_WITHDRAWN``), the warehouse's reservations
released and the new ones made through inventory's ledger functions, the allocation links and
the lines' allocated units — refusing with nothing written when the diff is not the one shown
(``expected`` fingerprint). Route plans of the day are re-run after commit
(``hooks.AFTER_REPLAN``).

Locks, in the one order (decision 0003): the warehouse's shipments not yet dispatched (step 1),
the requests (2), their lines (3), the allocation links (4), then balances and reservations
(5, 6: the warehouse's released, the sources' reserved) through ``inventory.ledger``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.geo import haversine_km
from baogong.core.models import Notification
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope, user_scope
from baogong.distribution import allocation as engine
from baogong.distribution import hooks, locks, queries, stock
from baogong.distribution.actions._common import reserve_needs
from baogong.distribution.actions.allocation import _refresh_run_request_statuses, engine_warehouses
from baogong.distribution.actions.shipments import _plan_shipments
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.errors import ReplanInvalid, ReplanStale
from baogong.distribution.models import AllocationReservation, RequestLine, Shipment, ShipmentLine
from baogong.inventory import queries as inventory_queries
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.errors import InsufficientStock
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Site

NOT_DISPATCHED = (ShipmentStatus.PLANNED, ShipmentStatus.PICKED, ShipmentStatus.LOADED)
OPEN_REQUESTS = (RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED, RequestStatus.DISPATCHED)


@dataclass(frozen=True)
class _LineUnits:
    """Which request line's units: the item, the request and its recipient, the tier."""

    item: str
    item_name: str
    request: str
    recipient: str
    recipient_name: str
    tier: int


@dataclass(frozen=True)
class Move(_LineUnits):
    """Units of one request line re-sourced from the affected warehouse to another."""

    from_warehouse: str
    to_warehouse: str
    to_name: str
    qty: int
    km_before: float
    km_after: float


@dataclass(frozen=True)
class Short(_LineUnits):
    """Units of one request line no other warehouse can supply (they go back to outstanding)."""

    qty: int


@dataclass
class Replan:
    """The diff of a re-plan: what :func:`replan_warehouse` does (or did)."""

    warehouse: str
    warehouse_name: str
    status: str
    sources: list[str]
    units: int
    moves: list[Move] = field(default_factory=list)
    shorts: list[Short] = field(default_factory=list)
    shipments: list[str] = field(default_factory=list)
    unit_km_before: float = 0.0
    unit_km_after: float = 0.0

    @property
    def moved_units(self) -> int:
        return sum(m.qty for m in self.moves)

    @property
    def short_units(self) -> int:
        return sum(s.qty for s in self.shorts)

    @property
    def extra_unit_km(self) -> float:
        """Units × km of the new sources minus units × km of the same units from the old one."""
        moved_before = sum(m.qty * m.km_before for m in self.moves)
        return round(self.unit_km_after - moved_before, 3)

    def short_by_tier(self) -> dict[int, int]:
        tiers: dict[int, int] = defaultdict(int)
        for s in self.shorts:
            tiers[s.tier] += s.qty
        return dict(sorted(tiers.items()))

    @property
    def fingerprint(self) -> str:
        """What the user saw: the same diff answers the same fingerprint."""
        body = json.dumps(
            {
                "warehouse": self.warehouse,
                "units": self.units,
                "moves": [asdict(m) for m in self.moves],
                "shorts": [asdict(s) for s in self.shorts],
                "shipments": self.shipments,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        return {
            "warehouse": self.warehouse,
            "status": self.status,
            "sources": self.sources,
            "units": self.units,
            "moved_units": self.moved_units,
            "short_units": self.short_units,
            "short_by_tier": {str(k): v for k, v in self.short_by_tier().items()},
            "extra_unit_km": self.extra_unit_km,
            "shipments_withdrawn": self.shipments,
            "moves": [asdict(m) for m in self.moves],
            "shorts": [asdict(s) for s in self.shorts],
            "fingerprint": self.fingerprint,
        }


def _open_links(warehouse: Site) -> QuerySet[AllocationReservation]:
    return AllocationReservation.objects.filter(
        warehouse=warehouse,
        reservation__status=ReservationStatus.ACTIVE,
        reservation__qty__gt=0,
        line__request_line__request__status__in=OPEN_REQUESTS,
    )


def _pending_shipments(warehouse: Site) -> QuerySet[Shipment]:
    return Shipment.objects.filter(warehouse=warehouse, status__in=NOT_DISPATCHED)


def source_warehouses(warehouse: Site, actor: Actor) -> list[Site]:
    """The other warehouses the actor may allocate from that are normal and have coordinates."""
    scope = user_scope(actor)
    candidates = Site.objects.filter(
        kind="warehouse", is_active=True, status=SiteStatus.NORMAL, lat__isnull=False, lon__isnull=False
    ).exclude(pk=warehouse.pk)
    return [w for w in candidates.order_by("code") if scope.allows(organisation_id=w.organisation_id, site_id=w.pk)]


def _check(warehouse: Site, actor: Actor) -> None:
    require_scope(actor, organisation_id=warehouse.organisation_id, site_id=warehouse.pk)
    if warehouse.kind != "warehouse":
        raise ReplanInvalid(details={"warehouse": [_("Only a warehouse can be re-planned.")]})
    if warehouse.status == SiteStatus.NORMAL:
        raise ReplanInvalid(
            details={"warehouse": [_("%(site)s is normal: nothing to re-plan.") % {"site": warehouse.name}]}
        )


def _coordinates(site: Site, fallback: Site) -> tuple[float, float]:
    """A site's coordinates; a recipient whose coordinates were removed since its allocation is
    placed at the affected warehouse (its distances are then unknown, never a crash)."""
    if site.lat is not None and site.lon is not None:
        return float(site.lat), float(site.lon)
    return float(fallback.lat or 0), float(fallback.lon or 0)


def _diff(warehouse: Site, links: Sequence[AllocationReservation], sources: Sequence[Site]) -> tuple[Replan, Any]:
    """The engine's answer for the open units of ``links`` from ``sources`` and the diff."""
    per_line: dict[int, int] = defaultdict(int)
    first: dict[int, AllocationReservation] = {}
    for link in links:
        per_line[link.line.request_line_id] += link.reservation.qty
        first.setdefault(link.line.request_line_id, link)
    item_ids = sorted({first[pk].line.request_line.item_id for pk in per_line})
    available = inventory_queries.available([w.pk for w in sources], item_ids)
    problem = engine.Problem(
        warehouses=engine_warehouses(sources, available, item_ids),
        requests=tuple(
            engine.Request(
                id=pk,
                tier=first[pk].line.tier,
                lat=_coordinates(first[pk].line.request_line.request.recipient, warehouse)[0],
                lon=_coordinates(first[pk].line.request_line.request.recipient, warehouse)[1],
                needed_by=first[pk].line.request_line.needed_by,
                submitted_at=queries.naive_utc(first[pk].line.request_line.request.submitted_at),
                lines=(engine.Line(str(first[pk].line.request_line.item_id), per_line[pk]),),
            )
            for pk in sorted(per_line)
        ),
    )
    result = engine.solve(problem)
    by_id = {w.pk: w for w in sources}
    replan = Replan(
        warehouse=warehouse.code,
        warehouse_name=warehouse.name,
        status=warehouse.status,
        sources=[w.code for w in sources],
        units=sum(per_line.values()),
    )
    wlat, wlon = float(warehouse.lat or 0), float(warehouse.lon or 0)
    for pk, answer in zip(sorted(per_line), result.lines, strict=True):
        rline = first[pk].line.request_line
        recipient = rline.request.recipient
        rlat, rlon = _coordinates(recipient, warehouse)
        common: dict[str, Any] = {
            "item": rline.item.code,
            "item_name": rline.item.name,
            "request": rline.request.number or f"#{rline.request_id}",
            "recipient": recipient.code,
            "recipient_name": recipient.name,
            "tier": first[pk].line.tier,
        }
        before = round(haversine_km(rlat, rlon, wlat, wlon), 3) if warehouse.lat is not None else 0.0
        for target_id, qty in answer.sources:
            target = by_id[int(target_id)]
            after = round(haversine_km(rlat, rlon, float(target.lat), float(target.lon)), 3)  # type: ignore[arg-type]
            replan.moves.append(
                Move(
                    **common,
                    from_warehouse=warehouse.code,
                    to_warehouse=target.code,
                    to_name=target.name,
                    qty=qty,
                    km_before=before,
                    km_after=after,
                )
            )
            replan.unit_km_after += qty * after
        replan.unit_km_before += per_line[pk] * before
        if answer.qty < per_line[pk]:
            replan.shorts.append(Short(**common, qty=per_line[pk] - answer.qty))
    replan.unit_km_before = round(replan.unit_km_before, 3)
    replan.unit_km_after = round(replan.unit_km_after, 3)
    return replan, result


def _links_with_rows(qs: QuerySet[AllocationReservation]) -> list[AllocationReservation]:
    return list(
        qs.select_related("reservation", "line__request_line__item", "line__request_line__request__recipient").order_by(
            "pk"
        )
    )


def preview_replan(warehouse: Site, *, actor: Actor) -> Replan:
    """The diff of re-planning ``warehouse`` now; nothing is written."""
    warehouse = Site.objects.get(pk=warehouse.pk)
    _check(warehouse, actor)
    replan, _result = _diff(warehouse, _links_with_rows(_open_links(warehouse)), source_warehouses(warehouse, actor))
    replan.shipments = [n or "" for n in _pending_shipments(warehouse).order_by("pk").values_list("number", flat=True)]
    return replan


@retry_on_conflict
def replan_warehouse(warehouse: Site, *, actor: Actor, expected: str | None = None) -> Replan:
    """Apply the re-plan of ``warehouse`` in one transaction (see the module's docstring).
    ``expected`` is the fingerprint of the diff the user confirmed: a different diff now (stock,
    requests or shipments changed) is refused with ``ReplanStale`` and nothing written."""
    with transaction.atomic(durable=True):
        warehouse = Site.objects.get(pk=warehouse.pk)
        _check(warehouse, actor)
        # 1. the warehouse's shipments not yet dispatched
        shipments = locks.shipments_for_update(_pending_shipments(warehouse).values_list("pk", flat=True))
        shipments = [s for s in shipments if s.status in NOT_DISPATCHED]
        numbers = [s.number or "" for s in shipments]
        # 2-4. requests, their lines, the allocation links
        links_qs = _open_links(warehouse)
        locked_requests = {
            pk
            for pk, status, _n in locks.requests_of_lines_for_update(links_qs.values("line__request_line__request_id"))
            if status in OPEN_REQUESTS  # read after the lock: a request cancelled meanwhile is left
        }
        locks.request_lines_for_update(links_qs.values("line__request_line_id"))
        locked_links = {a.pk for a in locks.allocation_links_for_update(links_qs)}
        links = [
            a
            for a in _links_with_rows(AllocationReservation.objects.filter(pk__in=locked_links))
            if a.line.request_line.request_id in locked_requests and a.reservation.status == ReservationStatus.ACTIVE
        ]
        sources = source_warehouses(warehouse, actor)
        replan, result = _diff(warehouse, links, sources)
        replan.shipments = numbers
        if expected is not None and expected != replan.fingerprint:
            raise ReplanStale(details={"fingerprint": [replan.fingerprint]})
        if not links and not shipments:
            raise ReplanInvalid(details={"warehouse": [_("%(site)s has no open supply.") % {"site": warehouse.name}]})
        _withdraw_shipments(shipments, actor=actor)
        _move_reservations(warehouse, links, result, sources, actor=actor)
        audit.record(
            "replan_warehouse",
            warehouse,
            actor=actor,
            before={"status": warehouse.status, "units": replan.units, "shipments": numbers},
            after={
                "sources": replan.sources,
                "moved_units": replan.moved_units,
                "short_units": replan.short_units,
                "short_by_tier": {str(k): v for k, v in replan.short_by_tier().items()},
                "extra_unit_km": replan.extra_unit_km,
                "moves": [
                    {
                        "item": m.item,
                        "recipient": m.recipient,
                        "from": m.from_warehouse,
                        "to": m.to_warehouse,
                        "qty": m.qty,
                    }
                    for m in replan.moves
                ],
                "shorts": [
                    {"item": s.item, "recipient": s.recipient, "tier": s.tier, "qty": s.qty} for s in replan.shorts
                ],
            },
        )
        notify(
            f"重新调配 / re-planned: {warehouse.name}",
            f"改由其他仓库供应 / moved: {replan.moved_units}；短缺 / short: {replan.short_units}"
            + "".join(f"；第{tier}级 / tier {tier}: {qty}" for tier, qty in replan.short_by_tier().items())
            + f"；撤回发运单 / shipments withdrawn: {len(numbers)}",
            level=Notification.Level.WARNING if replan.short_units else Notification.Level.INFO,
            link=f"/distribution/replan/{warehouse.pk}/",
            subject="shortage" if replan.short_units else "",
            organisation_id=warehouse.organisation_id,
            site_id=warehouse.pk,
        )
        touched = sorted({warehouse.pk, *(w.pk for w in sources)})
        for follow_up in hooks.AFTER_REPLAN:
            transaction.on_commit(lambda f=follow_up: f(touched, actor))  # type: ignore[misc]
        return replan


def _withdraw_shipments(shipments: Sequence[Shipment], *, actor: Actor) -> None:
    """Take the shipments off (their route stops first, through the fleet's hook), give their
    units back to the allocation links and request lines, and delete them, audited."""
    if not shipments:
        return
    ids = [s.pk for s in shipments]
    for withdraw in hooks.SHIPMENT_WITHDRAWN:
        withdraw(ids, actor)
    for shipment in shipments:
        lines = list(ShipmentLine.objects.filter(shipment=shipment).order_by("pk"))
        for line in lines:
            AllocationReservation.objects.filter(pk=line.allocation_id).update(shipped_qty=F("shipped_qty") - line.qty)
            RequestLine.objects.filter(pk=line.request_line_id).update(shipped_qty=F("shipped_qty") - line.qty)
        audit.record(
            "withdraw_shipment",
            shipment,
            actor=actor,
            before={"number": shipment.number, "status": shipment.status, "units": sum(li.qty for li in lines)},
            after={"deleted": True, "reason": "replan_warehouse"},
        )
        ShipmentLine.objects.filter(shipment=shipment).delete()
        shipment.delete()


def _plan_moved(made: Sequence[AllocationReservation], *, actor: Actor) -> list[Shipment]:
    """The moved units planned at once as shipments from their new warehouses (one per warehouse
    and recipient, like ``plan_shipments``), so the day's route plans can take them."""
    links = list(
        AllocationReservation.objects.filter(reservation_id__in=[a.reservation_id for a in made])
        .select_related(
            "warehouse", "reservation__lot", "reservation__location", "line__request_line__request__recipient"
        )
        .order_by("pk")
    )
    groups: dict[tuple[int, int], list[AllocationReservation]] = defaultdict(list)
    for link in links:
        groups[(link.warehouse_id, link.line.request_line.request.recipient_id)].append(link)
    return _plan_shipments([group for _key, group in sorted(groups.items())], actor=actor)


def _move_reservations(
    warehouse: Site, links: Sequence[AllocationReservation], result: Any, sources: Sequence[Site], *, actor: Actor
) -> None:
    """Release the warehouse's reservations, reserve what the engine sourced elsewhere, relink,
    and give the short units back to the request lines' outstanding."""
    if not links:
        return
    per_line: dict[int, list[AllocationReservation]] = defaultdict(list)
    for link in links:
        per_line[link.line.request_line_id].append(link)
    open_units = {link.pk: link.reservation.qty for link in links}
    stock.release_many([link.reservation for link in links], actor=actor)
    for link in links:
        AllocationReservation.objects.filter(pk=link.pk).update(qty=F("qty") - open_units[link.pk])
    by_id = {w.pk: w for w in sources}
    items = Item.objects.in_bulk({link.line.request_line.item_id for link in links})
    needs: dict[int, list[stock.ReserveNeed]] = defaultdict(list)
    short: dict[int, int] = {}
    for pk, answer in zip(sorted(per_line), result.lines, strict=True):
        link = per_line[pk][0]
        total = sum(open_units[a.pk] for a in per_line[pk])
        reference = f"{link.line.run}/{link.line.request_line.request.number or link.line.request_line.request_id}"
        for target_id, qty in answer.sources:
            needs[int(target_id)].append(
                stock.ReserveNeed(
                    key=link.line_id, item=items[link.line.request_line.item_id], qty=qty, reference=reference
                )
            )
        if answer.qty < total:
            short[pk] = total - answer.qty
    try:
        made = reserve_needs(needs, by_id, actor=actor)
    except InsufficientStock as exc:
        raise ReplanStale(
            _("Stock changed while re-planning; look at the re-plan again."), details={"stock": exc.details}
        ) from exc
    AllocationReservation.objects.bulk_create(made)
    _plan_moved(made, actor=actor)
    for pk, units in short.items():
        RequestLine.objects.filter(pk=pk).update(allocated_qty=F("allocated_qty") - units)
    request_ids = sorted({link.line.request_line.request_id for link in links})
    _refresh_run_request_statuses(request_ids)
