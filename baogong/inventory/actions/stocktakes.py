"""Stocktakes: count sheets, counts, found stock, approval into adjustments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.field import StaleVersion
from baogong.core.retry import retry_on_conflict
from baogong.inventory import locks
from baogong.inventory.actions.common import _check_site_location, _move, _stock_locations, require_site_scope
from baogong.inventory.choices import LocationKind, MoveReason, QcStatus, StocktakeStatus
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.ledger import (  # re-exported: other apps import the inputs from here
    BULK,
    MoveInput,
)
from baogong.inventory.locations import virtual_location
from baogong.inventory.models import Location, Lot, StockBalance, Stocktake, StocktakeLine
from baogong.orgs import duties
from baogong.orgs.models import Site


# --- stocktakes -------------------------------------------------------------------------------
@retry_on_conflict
def start_stocktake(
    warehouse: Site,
    *,
    actor: Actor,
    locations: Sequence[Location] | None = None,
    is_blind: bool = False,
    note: str = "",
) -> Stocktake:
    """Open a count of the warehouse (or some of its locations): one line per lot and location held."""
    require_site_scope(actor, warehouse)
    chosen = list(locations) if locations else _stock_locations(warehouse)
    e: dict[str, list[str]] = {}
    for location in chosen:
        _check_site_location(location, warehouse, e)
    if not chosen:
        e["locations"] = [_("The site has no store locations yet.")]
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        stocktake = Stocktake.objects.create(
            warehouse=warehouse,
            status=StocktakeStatus.COUNTING,
            is_blind=is_blind,
            note=note[:255],
            created_by=audit.user_of(actor),
        )
        balances = StockBalance.objects.filter(location__in=chosen, on_hand__gt=0)
        StocktakeLine.objects.bulk_create(
            [
                StocktakeLine(
                    stocktake=stocktake,
                    location_id=b.location_id,
                    item_id=b.item_id,
                    lot_id=b.lot_id,
                    expected_qty=b.on_hand,
                )
                for b in balances.order_by("location_id", "item_id", "lot_id")
            ],
            batch_size=BULK,
        )
        audit.record(
            "start_stocktake",
            stocktake,
            actor=actor,
            after={"locations": [loc.code for loc in chosen], "is_blind": is_blind},
        )
        return stocktake


@retry_on_conflict
def record_counts(
    stocktake: Stocktake,
    counts: dict[int, int],
    *,
    actor: Actor,
    extra: Sequence[tuple[Lot, Location, int]] = (),
    seen: Mapping[int, str] | None = None,
) -> Stocktake:
    """Enter counted quantities (by line id) and lots found that were not expected.

    ``seen`` (counts a phone recorded offline): each line's version when the sheet was shown
    (``queries.count_versions``). When the stock in a counted line's bin moved since, or the count
    is no longer open, ``StaleVersion`` is raised and nothing is written (kept for review)."""
    require_site_scope(actor, stocktake.warehouse)
    e: dict[str, list[str]] = {}
    for line_id, qty in counts.items():
        if not isinstance(qty, int) or qty < 0:
            e[str(line_id)] = [_("Counts are whole numbers, zero or more.")]
    for lot, location, qty in extra:
        if not isinstance(qty, int) or qty < 0:
            e[f"{lot.batch}@{location.code}"] = [_("Counts are whole numbers, zero or more.")]
        _check_site_location(location, stocktake.warehouse, e)
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        locked = locks.stocktake_for_update(stocktake.pk)
        if seen is not None:
            _check_count_versions(locked, counts, seen)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        lines = {line.pk: line for line in locked.lines.filter(pk__in=list(counts))}
        unknown = set(counts) - set(lines)
        if unknown:
            raise StockInvalid(details={"lines": [_("Unknown count lines: %(ids)s") % {"ids": sorted(unknown)}]})
        for line_id, qty in counts.items():
            lines[line_id].counted_qty = qty
        StocktakeLine.objects.bulk_update(list(lines.values()), ["counted_qty"], batch_size=BULK)
        for lot, location, qty in extra:
            StocktakeLine.objects.update_or_create(
                stocktake=locked,
                lot=lot,
                location=location,
                defaults={"item_id": lot.item_id, "counted_qty": qty},
                create_defaults={"item_id": lot.item_id, "counted_qty": qty, "expected_qty": 0},
            )
        audit.record("record_counts", locked, actor=actor, after={"counted": len(counts), "found": len(extra)})
        return locked


def _check_count_versions(stocktake: Stocktake, counts: Mapping[int, int], seen: Mapping[int, str]) -> None:
    from baogong.inventory.queries import count_versions

    if stocktake.status != StocktakeStatus.COUNTING:
        raise StaleVersion(
            current=str(stocktake.status),
            reason=_("The count is %(status)s now: it changed after the sheet was opened.")
            % {"status": stocktake.get_status_display()},
        )
    lines = list(stocktake.lines.filter(pk__in=list(counts)).select_related("location", "item", "lot").order_by("pk"))
    now = count_versions(lines)
    # a line sent with the count it already has is not a change of the phone's (a re-sent sheet)
    changed = [
        line
        for line in lines
        if counts[line.pk] != line.counted_qty and seen.get(line.pk) and seen[line.pk] != now[line.pk]
    ]
    if changed:
        raise StaleVersion(
            current=",".join(now[line.pk] for line in changed)[:64],
            reason=_("The stock changed after the sheet was opened: %(lines)s.")
            % {"lines": "; ".join(f"{li.location.code} {li.item.code} {li.lot.batch}" for li in changed)[:180]},
        )


@retry_on_conflict
def submit_stocktake(stocktake: Stocktake, *, actor: Actor) -> Stocktake:
    require_site_scope(actor, stocktake.warehouse)
    with transaction.atomic(durable=True):
        locked = locks.stocktake_for_update(stocktake.pk)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        missing = locked.lines.filter(counted_qty__isnull=True).count()
        if missing:
            raise StockInvalid(details={"lines": [_("%(n)d lines are not counted yet.") % {"n": missing}]})
        audit.change_status("submit_stocktake", locked, StocktakeStatus.SUBMITTED, actor=actor)
        return locked


@retry_on_conflict
def approve_stocktake(stocktake: Stocktake, *, actor: Actor) -> Stocktake:
    """Post each variance (counted − expected) as a move against the adjustment location."""
    require_site_scope(actor, stocktake.warehouse)
    with transaction.atomic(durable=True):
        locked = locks.stocktake_for_update(stocktake.pk)
        if locked.status != StocktakeStatus.SUBMITTED:
            raise InvalidState()
        waived = duties.require_another_person(  # maker ≠ checker: who opened the count does not approve it
            locked.warehouse.organisation_id, actor=actor, earlier={_("the stocktake"): locked.created_by_id}
        )
        book = virtual_location(LocationKind.ADJUSTMENT)
        moves = []
        for line in locked.lines.select_related("lot", "lot__item", "location"):
            variance = line.variance or 0
            if variance:
                moves.append(
                    MoveInput(
                        item=line.lot.item,
                        lot=line.lot,
                        from_location=book if variance > 0 else line.location,
                        to_location=line.location if variance > 0 else book,
                        qty=abs(variance),
                    )
                )
        posted = 0
        if moves:
            posted = len(
                _move(
                    moves,
                    actor=actor,
                    reason=MoveReason.STOCKTAKE,
                    reference=locked.number,
                    document_type="stocktake",
                    document_id=locked.pk,
                    check_usable=False,
                )
            )
        audit.change_status(
            "approve_stocktake",
            locked,
            StocktakeStatus.APPROVED,
            actor=actor,
            stamps={
                "decided_by": audit.user_of(actor),
                "decided_at": timezone.now(),
            },
            after={"variance_moves": posted, **({"one_person_waiver": True} if waived else {})},
        )
        return locked


@retry_on_conflict
def cancel_stocktake(stocktake: Stocktake, *, actor: Actor) -> Stocktake:
    require_site_scope(actor, stocktake.warehouse)
    with transaction.atomic(durable=True):
        locked = locks.stocktake_for_update(stocktake.pk)
        if locked.status not in (StocktakeStatus.COUNTING, StocktakeStatus.SUBMITTED):
            raise InvalidState()
        audit.change_status("cancel_stocktake", locked, StocktakeStatus.CANCELLED, actor=actor)
        return locked


# --- stocktakes: stock found that is not on the count sheet ------------------------------------
@retry_on_conflict
def count_found_stock(
    stocktake: Stocktake,
    *,
    item: Item,
    location: Location,
    qty: int,
    batch: str = "",
    expiry: dt.date | None = None,
    actor: Actor,
) -> StocktakeLine:
    """Count a lot in a bin that is not on the count sheet ("found stock").

    The lot is the item's existing batch, or a new batch (with its expiry, the item's reference price
    as unit cost, released) when the batch is not known yet. The line expects what the books hold for
    that lot in that bin now, so approving the stocktake posts only the difference.
    """
    require_site_scope(actor, stocktake.warehouse)
    batch = (batch or "").strip()
    e: dict[str, list[str]] = {}
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
        e["qty"] = [_("Counts are whole numbers, zero or more.")]
    if not batch:
        e["batch"] = [_("Give the batch number printed on the stock.")]
    elif len(batch) > 64:
        e["batch"] = [_("At most 64 characters.")]
    if not item.is_active:
        e["item"] = [_("The item is not active.")]
    _check_site_location(location, stocktake.warehouse, e)
    known = Lot.objects.filter(item=item, batch=batch).first() if batch else None
    if known is not None and expiry is not None and known.expiry is not None and known.expiry != expiry:
        e["expiry"] = [
            _("Batch %(batch)s is already known with expiry %(expiry)s.") % {"batch": batch, "expiry": known.expiry}
        ]
    if e:
        raise StockInvalid(details=e)
    with transaction.atomic(durable=True):
        locked = locks.stocktake_for_update(stocktake.pk)
        if locked.status != StocktakeStatus.COUNTING:
            raise InvalidState()
        lot, created = Lot.objects.get_or_create(
            item=item,
            batch=batch,
            defaults={
                "expiry": expiry,
                "unit_cost": item.reference_price or Decimal(0),
                "qc_status": QcStatus.RELEASED,
                "qc_reason": _("Found in stocktake %(number)s") % {"number": locked.number},
            },
        )
        held = StockBalance.objects.filter(lot=lot, location=location).values_list("on_hand", flat=True).first()
        line = StocktakeLine.objects.filter(stocktake=locked, lot=lot, location=location).first()
        if line is None:
            line = StocktakeLine.objects.create(
                stocktake=locked,
                lot=lot,
                location=location,
                item_id=lot.item_id,
                expected_qty=held or 0,
                counted_qty=qty,
            )
        else:
            line.counted_qty = qty
            line.save(update_fields=["counted_qty"])
        audit.record(
            "count_found_stock",
            locked,
            actor=actor,
            after={
                "item": item.code,
                "batch": lot.batch,
                "expiry": lot.expiry.isoformat() if lot.expiry else None,
                "new_lot": created,
                "location": location.code,
                "expected": line.expected_qty,
                "counted": qty,
            },
        )
        return line
