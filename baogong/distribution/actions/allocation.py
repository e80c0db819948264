"""Allocation runs: preview (the engine), confirm (reserve), discard."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Case, F, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor, user_of
from baogong.core.geo import haversine_km
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import user_scope
from baogong.distribution import allocation as engine
from baogong.distribution import locks, queries, stock
from baogong.distribution.actions._common import (
    reserve_needs,
)
from baogong.distribution.choices import (
    ALLOCATABLE_STATUSES,
    AllocationRunStatus,
    RequestStatus,
)
from baogong.distribution.errors import (
    AllocationInvalid,
    AllocationStale,
    RequestStateInvalid,
)
from baogong.distribution.models import (
    AllocationLine,
    AllocationReservation,
    AllocationRun,
    Request,
    RequestLine,
)
from baogong.inventory import queries as inventory_queries
from baogong.inventory.errors import InsufficientStock
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Site

# --------------------------------------------------------------------------- allocation runs

BASIS_CAPPED = "capped"  # the entitlement (headcount × norm) is used up
SET_ASIDE_NO_COORDINATES = "no_coordinates"  # the recipient has no coordinates: no distance to rank by


def _check_warehouses(warehouses: Sequence[Site], actor: Actor) -> None:
    errors: dict[str, list[str]] = {}
    if not warehouses:
        errors["warehouses"] = [_("Choose at least one warehouse.")]
    scope = user_scope(actor)
    for site in warehouses:
        if site.kind != "warehouse" or not scope.allows(organisation_id=site.organisation_id, site_id=site.pk):
            errors.setdefault("warehouses", []).append(
                _("%(site)s is not a warehouse you may allocate from.") % {"site": site.code}
            )
        elif site.lat is None or site.lon is None:
            errors.setdefault("warehouses", []).append(_("%(site)s has no coordinates.") % {"site": site.code})
    if errors:
        raise AllocationInvalid(details=errors)


def held_sources(warehouses: Sequence[Site]) -> list[dict[str, str]]:
    """The warehouses that may not be allocation sources now (under control, locked down or
    closed), with their status and its reason — what the preview shows."""
    return [
        {"code": w.code, "name": w.name, "status": w.status, "reason": w.status_reason}
        for w in sorted(warehouses, key=lambda w: w.code)
        if w.status != SiteStatus.NORMAL
    ]


def _usable_sources(warehouses: Sequence[Site]) -> tuple[list[Site], list[dict[str, str]]]:
    """Split the chosen warehouses into the sources and those held by their site status (read
    fresh from the database); refuse, field by field, when none is left."""
    fresh = {s.pk: s for s in Site.objects.filter(pk__in=[w.pk for w in warehouses])}
    current = [fresh.get(w.pk, w) for w in warehouses]
    held = held_sources(current)
    usable = [w for w in current if w.status == SiteStatus.NORMAL]
    if not usable:
        raise AllocationInvalid(
            details={
                "warehouses": [
                    _("%(site)s is %(status)s (%(reason)s) and is not offered as a source.")
                    % {"site": h["name"], "status": SiteStatus(h["status"]).label, "reason": h["reason"] or "—"}
                    for h in held
                ]
            }
        )
    return usable, held


@retry_on_conflict
def preview_allocation(
    warehouses: Sequence[Site], *, actor: Actor, request_ids: Sequence[int] | None = None
) -> AllocationRun:
    """Run the engine on the open claims and the available stock of the warehouses; store the
    per-line result (tier, share, remainder, sources) as a preview. Nothing is reserved.

    Warehouses that are not normal (under control, locked down, closed) are never sources: they
    are left out and listed, with their status and reason, in the run's ``summary["held"]``. One bad
    record never blocks the many: requests whose recipient has no coordinates are set aside (listed
    in ``summary["set_aside"]`` with the reason) and everyone else is allocated."""
    _check_warehouses(warehouses, actor)
    warehouses, held = _usable_sources(warehouses)
    rows, set_aside = _set_aside_without_coordinates(queries.claims(queries.open_lines(request_ids)))
    item_ids = sorted({c.line.item_id for c in rows})
    wh_ids = [w.pk for w in warehouses]
    available = inventory_queries.available(wh_ids, item_ids)
    problem = _problem(warehouses, rows, available, item_ids)
    result = engine.solve(problem)
    wh_by_id = {w.pk: w for w in warehouses}
    with transaction.atomic(durable=True):
        run = AllocationRun.objects.create(
            created_by=user_of(actor),
            stock_snapshot={f"{w}:{i}": q for (w, i), q in sorted(available.items())},
        )
        run.warehouses.set(warehouses)
        made = []
        for c, r in zip(rows, result.lines, strict=True):
            made.append(_allocation_line(run, c, r, wh_by_id))
        AllocationLine.objects.bulk_create(made, batch_size=1000)
        run.summary = {
            "lines": len(made),
            "claimed": sum(c.claim for c in rows),
            "allocated": sum(r.qty for r in result.lines),
            "cost_unit_km": round(result.total_cost, 3),
            "short_items": sorted(
                {str(c.line.item.code) for c, r in zip(rows, result.lines, strict=True) if r.qty < c.claim}
            ),
            "held": held,
            "set_aside": set_aside,
        }
        run.save(update_fields=["summary"])
        audit.record(
            "preview_allocation",
            run,
            actor=actor,
            after={"warehouses": [w.code for w in warehouses], **run.summary},
        )
        return run


def _set_aside_without_coordinates(
    rows: Sequence[queries.Claim],
) -> tuple[list[queries.Claim], list[dict[str, str]]]:
    """The claims the engine can place, and one entry per request set aside because its
    recipient has no coordinates (request number, recipient code, reason code)."""
    kept: list[queries.Claim] = []
    aside: dict[int, dict[str, str]] = {}
    for c in rows:
        request = c.line.request
        if request.recipient.lat is None or request.recipient.lon is None:
            aside[request.pk] = {
                "request": request.number or f"#{request.pk}",
                "recipient": request.recipient.code,
                "reason": SET_ASIDE_NO_COORDINATES,
            }
        else:
            kept.append(c)
    return kept, sorted(aside.values(), key=lambda entry: (entry["recipient"], entry["request"]))


def engine_warehouses(
    warehouses: Sequence[Site], available: Mapping[tuple[int, int], int], item_ids: Sequence[int]
) -> tuple[engine.Warehouse, ...]:
    """The warehouses as the engine sees them: where they are and the units of each item available."""
    return tuple(
        engine.Warehouse(
            id=w.pk,
            lat=float(w.lat),  # type: ignore[arg-type]
            lon=float(w.lon),  # type: ignore[arg-type]
            stock={str(item): available.get((w.pk, item), 0) for item in item_ids},
        )
        for w in warehouses
    )


def _problem(
    warehouses: Sequence[Site],
    rows: Sequence[queries.Claim],
    available: Mapping[tuple[int, int], int],
    item_ids: list[int],
) -> engine.Problem:
    """The engine's problem: the warehouses with their available stock, one request per claim."""
    return engine.Problem(
        warehouses=engine_warehouses(warehouses, available, item_ids),
        requests=tuple(
            engine.Request(
                id=c.line.pk,
                tier=c.tier,
                lat=float(c.line.request.recipient.lat),  # type: ignore[arg-type]
                lon=float(c.line.request.recipient.lon),  # type: ignore[arg-type]
                needed_by=c.line.needed_by,
                submitted_at=queries.naive_utc(c.line.request.submitted_at),
                lines=(engine.Line(str(c.line.item_id), c.claim),),
            )
            for c in rows
        ),
    )


def _allocation_line(
    run: AllocationRun, c: queries.Claim, r: engine.LineResult, wh_by_id: Mapping[int, Site]
) -> AllocationLine:
    """What one claim gets in the run (the engine's result, with each source's distance)."""
    recipient = c.line.request.recipient
    return AllocationLine(
        run=run,
        request_line=c.line,
        tier=c.tier,
        outstanding=c.outstanding,
        entitlement=c.entitlement,
        claim=c.claim,
        qty=r.qty,
        basis=BASIS_CAPPED if c.claim == 0 else r.basis,
        available=r.available,
        tier_total=r.tier_total,
        share=r.share,
        remainder=r.remainder,
        rank=r.rank,
        extra_unit=r.extra_unit,
        sources=[
            {
                "warehouse": w,
                "code": wh_by_id[int(w)].code,
                "qty": q,
                "km": round(
                    haversine_km(
                        float(recipient.lat),  # type: ignore[arg-type]
                        float(recipient.lon),  # type: ignore[arg-type]
                        float(wh_by_id[int(w)].lat),  # type: ignore[arg-type]
                        float(wh_by_id[int(w)].lon),  # type: ignore[arg-type]
                    ),
                    3,
                ),
            }
            for w, q in r.sources
        ],
    )


@retry_on_conflict
def confirm_allocation(run: AllocationRun, *, actor: Actor) -> AllocationRun:
    """Reserve the previewed quantities (FEFO lots) and raise the lines' allocated units, in one
    transaction. Refused, with nothing written, when requests or stock changed since the preview.

    Built for runs of ten thousand lines: rows are read as tuples (no model instances), the
    requests and lines are selected by subqueries on the run (no long ``IN`` lists), each
    warehouse's balances are locked and planned once, and the counters and states are set by a
    few set-based ``UPDATE`` statements."""
    with transaction.atomic(durable=True):
        locked = locks.allocation_run_for_update(run.pk)
        if locked.status != AllocationRunStatus.PREVIEW:
            raise RequestStateInvalid(_("Only a preview can be confirmed."), details={"status": [locked.status]})
        run_lines = AllocationLine.objects.filter(run=locked, qty__gt=0)
        alines = list(
            run_lines.order_by("id").values_list(
                "pk", "request_line_id", "qty", "sources", "request_line__item_id", "request_line__request_id"
            )
        )
        requests = {
            pk: (status, number or f"#{pk}")
            for pk, status, number in locks.requests_of_lines_for_update(run_lines.values("request_line__request_id"))
        }
        lines = {
            pk: (request_id, max(0, (approved or 0) - allocated))
            for pk, request_id, approved, allocated in locks.request_lines_for_update(
                run_lines.values("request_line_id")
            )
        }
        stale = []
        for _pk, line_id, qty, _sources, _item_id, request_id in alines:
            status, number = requests[request_id]
            outstanding = lines[line_id][1]
            if status not in ALLOCATABLE_STATUSES or outstanding < qty:
                stale.append({"request": number, "line": line_id, "outstanding": outstanding, "allocated": qty})
        if stale:
            raise AllocationStale(details={"lines": stale})
        warehouses = {w.pk: w for w in locked.warehouses.all()}
        sourced = {int(source["warehouse"]) for a in alines for source in a[3]}
        held = held_sources([warehouses[pk] for pk in sorted(sourced)])
        if held:
            raise AllocationStale(
                _("A source warehouse is no longer normal; run the allocation again."), details={"held": held}
            )
        links = _reserve_sources(locked, alines, requests, warehouses, actor=actor)
        AllocationReservation.objects.bulk_create(links, batch_size=2000)
        # The lines are locked: raise their counters in one statement, then the requests' states.
        RequestLine.objects.filter(pk__in=run_lines.values("request_line_id")).update(
            allocated_qty=F("allocated_qty") + Subquery(run_lines.filter(request_line=OuterRef("pk")).values("qty")[:1])
        )
        _refresh_run_request_statuses(run_lines.values("request_line__request_id"))
        units = sum(a[2] for a in alines)
        after = {"lines": len(alines), "units": units, "reservations": len(links)}
        stamps = {"confirmed_at": timezone.now()}
        audit.change_status(
            "confirm_allocation", locked, AllocationRunStatus.CONFIRMED, actor=actor, stamps=stamps, after=after
        )
        return locked


def _reserve_sources(
    locked: AllocationRun,
    alines: list[Any],
    requests: dict[int, tuple[str, str]],
    warehouses: dict[int, Any],
    *,
    actor: Actor,
) -> list[AllocationReservation]:
    """Reserve each run line's sources, warehouse by warehouse in primary-key order (FEFO lots);
    a shortfall since the preview refuses the whole confirmation."""
    items = Item.objects.in_bulk({a[4] for a in alines})
    needs: dict[int, list[stock.ReserveNeed]] = defaultdict(list)
    for pk, _line_id, _qty, sources, item_id, request_id in alines:
        reference = f"{locked}/{requests[request_id][1]}"
        for source in sources:
            needs[int(source["warehouse"])].append(
                stock.ReserveNeed(key=pk, item=items[item_id], qty=int(source["qty"]), reference=reference)
            )
    try:
        return reserve_needs(needs, warehouses, actor=actor)
    except InsufficientStock as exc:
        raise AllocationStale(
            _("Stock changed since the preview; run the allocation again."), details={"stock": exc.details}
        ) from exc


def _refresh_run_request_statuses(request_ids: Any) -> None:
    """:func:`_refresh_allocation_status` for the requests a subquery selects (already locked):
    the sums are read per request, the new states written with one ``UPDATE`` per state, each
    selecting its requests by the same sums in SQL (no list of ids)."""
    allocated = Coalesce(Sum("lines__allocated_qty"), 0)
    outstanding = Coalesce(
        Sum(
            Case(
                When(
                    lines__approved_qty__gt=F("lines__allocated_qty"),
                    then=F("lines__approved_qty") - F("lines__allocated_qty"),
                ),
                default=0,
            )
        ),
        0,
    )
    movable = [RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED, RequestStatus.ALLOCATED]
    sums = (
        Request.objects.filter(pk__in=request_ids, status__in=movable)
        .values("pk")
        .annotate(allocated=allocated, outstanding=outstanding)
    )
    targets = {
        RequestStatus.ALLOCATED: sums.filter(allocated__gt=0, outstanding=0),
        RequestStatus.PARTLY_ALLOCATED: sums.filter(allocated__gt=0, outstanding__gt=0),
        RequestStatus.APPROVED: sums.filter(allocated=0),
    }
    now = timezone.now()
    for status, selected in targets.items():
        Request.objects.filter(pk__in=selected.values("pk")).exclude(status=status).update(
            status=status, updated_at=now
        )


@retry_on_conflict
def discard_allocation(run: AllocationRun, *, actor: Actor) -> AllocationRun:
    with transaction.atomic(durable=True):
        locked = locks.allocation_run_for_update(run.pk)
        if locked.status != AllocationRunStatus.PREVIEW:
            raise RequestStateInvalid(_("Only a preview can be discarded."), details={"status": [locked.status]})
        audit.change_status("discard_allocation", locked, AllocationRunStatus.DISCARDED, actor=actor)
        return locked
