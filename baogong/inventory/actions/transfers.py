"""Transfers between warehouses: sent into transit, booked in at the destination."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.inventory import locks, trace
from baogong.inventory.actions.common import _check_site_location, _line_errors, _move, require_site_scope
from baogong.inventory.choices import STOCK_KINDS, MoveReason, TransferStatus
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.ledger import (  # re-exported: other apps import the inputs from here
    MoveInput,
)
from baogong.inventory.locations import default_location, in_transit_location
from baogong.inventory.models import Location, Lot, Transfer, TransferLine
from baogong.orgs.models import Site


@dataclass
class TransferLineInput:
    lot: Lot
    from_location: Location
    qty: int
    to_location: Location | None = None


# --- transfers --------------------------------------------------------------------------------
@retry_on_conflict
def transfer_stock(
    warehouse: Site,
    lines: list[TransferLineInput],
    *,
    actor: Actor,
    destination: Site | None = None,
    reference: str = "",
    trace_codes: Sequence[str] = (),
) -> Transfer:
    """Move stock between locations of the warehouse, or send it to another site (in transit);
    the drug traceability codes of the packs sent (``trace_codes``) go with them."""
    require_site_scope(actor, warehouse)
    if not lines:
        raise StockInvalid(details={"lines": [_("Add at least one line.")]})
    to_site = destination or warehouse
    internal = to_site.pk == warehouse.pk
    errors = _line_problems(lines, warehouse, internal)
    if errors:
        raise _line_errors(errors)
    with transaction.atomic(durable=True):
        transfer = Transfer.objects.create(
            warehouse=warehouse,
            destination=to_site,
            reference=reference[:128],
            status=TransferStatus.DONE if internal else TransferStatus.IN_TRANSIT,
            created_by=audit.user_of(actor),
        )
        transit = None if internal else in_transit_location(warehouse)
        moves_in = [
            MoveInput(
                item=line.lot.item,
                lot=line.lot,
                from_location=line.from_location,
                to_location=line.to_location if internal and line.to_location else transit,  # type: ignore[arg-type]
                qty=line.qty,
            )
            for line in lines
        ]
        _move(
            moves_in,
            actor=actor,
            reason=MoveReason.TRANSFER,
            reference=reference or transfer.number,
            document_type="transfer",
            document_id=transfer.pk,
        )
        TransferLine.objects.bulk_create(
            [
                TransferLine(
                    transfer=transfer,
                    item_id=m.lot.item_id,
                    lot=m.lot,
                    from_location=m.from_location,
                    to_location=m.to_location,
                    qty=m.qty,
                )
                for m in moves_in
            ]
        )
        if trace_codes:
            trace.move_codes(
                trace_codes, warehouse, to_site, reference=transfer.number, in_transit=not internal, actor=actor
            )
        audit.record(
            "transfer_stock",
            transfer,
            actor=actor,
            after={"destination": to_site.code, "status": transfer.status, "lines": len(moves_in)},
        )
        return transfer


def _line_problems(lines: list[TransferLineInput], warehouse: Site, internal: bool) -> dict[int, dict[str, list[str]]]:
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        e: dict[str, list[str]] = {}
        if not isinstance(line.qty, int) or line.qty <= 0:
            e["qty"] = [_("Quantities must be whole numbers above zero.")]
        _check_site_location(line.from_location, warehouse, e)
        if internal:
            if line.to_location is None:
                e["to_location"] = [_("Choose the destination location.")]
            else:
                _check_site_location(line.to_location, warehouse, e)
        if e:
            errors[i] = e
    return errors


@retry_on_conflict
def receive_transfer(transfer: Transfer, *, actor: Actor, location: Location | None = None) -> Transfer:
    """Book an inter-site transfer in at its destination."""
    require_site_scope(actor, transfer.destination)
    with transaction.atomic(durable=True):
        locked = locks.transfer_for_update(transfer.pk)
        if locked.status != TransferStatus.IN_TRANSIT:
            raise InvalidState()
        target = location or default_location(locked.destination)
        if target.site_id != locked.destination_id or target.kind not in STOCK_KINDS:
            raise StockInvalid(details={"location": [_("The location is not a store location of this site.")]})
        transit = in_transit_location(locked.warehouse)
        lines = list(locked.lines.select_related("lot", "lot__item"))
        _move(
            [
                MoveInput(item=line.lot.item, lot=line.lot, from_location=transit, to_location=target, qty=line.qty)
                for line in lines
            ],
            actor=actor,
            reason=MoveReason.TRANSFER,
            reference=locked.reference or locked.number,
            document_type="transfer",
            document_id=locked.pk,
            check_usable=False,
        )
        trace.book_in_codes(locked.destination, locked.number, actor=actor)
        audit.change_status(
            "receive_transfer",
            locked,
            TransferStatus.RECEIVED,
            actor=actor,
            stamps={"received_at": timezone.now()},
            after={"location": target.code},
        )
        return locked


def put_away(
    balance_id: int,
    to_location: Location | None,
    qty: int,
    *,
    actor: Actor,
    reference: str = "",
    based_on: str = "",
) -> Transfer:
    """Put received stock away: ``qty`` of a balance in the main store to a bin of the same site
    (an internal transfer). ``based_on`` (a put-away the keeper's phone recorded offline, the
    quantity its page showed): when the stock moved meanwhile and less than ``qty`` is left,
    ``StaleVersion`` is raised and nothing is written (the event is kept for review)."""
    from baogong.core.field import StaleVersion
    from baogong.inventory.errors import InsufficientStock
    from baogong.inventory.models import StockBalance

    balance = StockBalance.objects.select_related("lot", "location__site").filter(pk=balance_id).first()
    if balance is None or balance.location.site is None:
        raise StockInvalid(details={"balance": [_("This stock is no longer in the main store.")]})
    site = balance.location.site
    require_site_scope(actor, site)
    if to_location is None or to_location.site_id != site.pk or to_location.pk == balance.location_id:
        raise StockInvalid(details={"to_location": [_("Choose a bin of this site.")]})
    if not isinstance(qty, int) or qty <= 0:
        raise StockInvalid(details={"qty": [_("Quantity must be a whole number above zero.")]})
    try:
        return transfer_stock(
            site,
            [TransferLineInput(lot=balance.lot, from_location=balance.location, to_location=to_location, qty=qty)],
            actor=actor,
            reference=reference or _("put-away"),
        )
    except InsufficientStock:
        if not based_on:
            raise
        left = StockBalance.objects.filter(pk=balance_id).values_list("on_hand", "reserved").first() or (0, 0)
        raise StaleVersion(
            current=str(left[0] - left[1]),
            reason=_("Only %(left)d left in %(bin)s: the stock changed after the page was opened.")
            % {"left": left[0] - left[1], "bin": balance.location.code},
        ) from None
