"""Receiving, issuing, reserving and moving stock: durable wrappers of the ledger primitives; and store locations."""

from __future__ import annotations

from django.db import transaction

from baogong.catalog.models import Item
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.inventory import ledger
from baogong.inventory.actions.common import require_either_site_scope, require_site_scope
from baogong.inventory.choices import LocationKind
from baogong.inventory.ledger import (  # re-exported: other apps import the inputs from here
    IssueLineInput,
    MoveInput,
    ReceiptLineInput,
)
from baogong.inventory.locations import add_location
from baogong.inventory.models import Issue, Location, Receipt, Reservation, StockMove
from baogong.orgs.models import Site


# --- receive ----------------------------------------------------------------------------------
@retry_on_conflict
def receive_stock(
    warehouse: Site,
    lines: list[ReceiptLineInput],
    *,
    actor: Actor,
    reference: str = "",
    qc_status: str | None = None,
    supplier_ref: str = "",
    supplier_name: str = "",
) -> Receipt:
    """Receive lots from a supplier into the warehouse (its default location unless a bin is named).

    One durable transaction around :func:`baogong.inventory.ledger.receive`; goods that need
    inspection land as pending lots (``qc_status`` ``None``) and only QC staff may release them.
    """
    require_site_scope(actor, warehouse)
    ledger.validate_receipt(warehouse, lines, qc_status)
    with transaction.atomic(durable=True):
        return ledger.receive(
            warehouse,
            lines,
            actor=actor,
            reference=reference,
            qc_status=qc_status,
            supplier_ref=supplier_ref,
            supplier_name=supplier_name,
        )


# --- issue ------------------------------------------------------------------------------------
@retry_on_conflict
def issue_stock(
    warehouse: Site, recipient: Site, lines: list[IssueLineInput], *, actor: Actor, reference: str = ""
) -> Issue:
    """Issue stock to a recipient site, lots picked earliest-expiry-first among released, unexpired lots.

    Raises :class:`InsufficientStock` (writing nothing) when any line cannot be filled in full.
    One durable transaction around :func:`baogong.inventory.ledger.issue`; on PostgreSQL's
    one-statement path that transaction is the statement itself, in autocommit
    (:func:`baogong.inventory.ledger.issue_in_autocommit`: no ``COMMIT`` round trip holding the
    balance lock).
    """
    require_site_scope(actor, warehouse)
    ledger.validate_issue(warehouse, recipient, lines)
    done = ledger.issue_in_autocommit(warehouse, recipient, lines, actor=actor, reference=reference)
    if done is not None:
        return done
    with transaction.atomic(durable=True):
        return ledger.issue(warehouse, recipient, lines, actor=actor, reference=reference)


# --- reservations -----------------------------------------------------------------------------
@retry_on_conflict
def reserve_stock(warehouse: Site, item: Item, qty: int, *, actor: Actor, reference: str) -> list[Reservation]:
    """Reserve ``qty`` of ``item`` at the warehouse, earliest expiry first, across lots and bins."""
    require_site_scope(actor, warehouse)
    with transaction.atomic(durable=True):
        return ledger.reserve(warehouse, item, qty, actor=actor, reference=reference)


@retry_on_conflict
def release_reservation(reservation: Reservation, *, actor: Actor, qty: int | None = None) -> Reservation:
    """Give back all (or ``qty``) of the reservation's open units."""
    require_either_site_scope(actor, [reservation.location])
    with transaction.atomic(durable=True):
        return ledger.release(reservation, actor=actor, qty=qty)


# --- generic moves ----------------------------------------------------------------------------
@retry_on_conflict
def move_stock(
    lines: list[MoveInput],
    *,
    actor: Actor,
    reason: str,
    reference: str = "",
    document_type: str = "",
    document_id: int | None = None,
    note: str = "",
) -> list[StockMove]:
    """Move given lots between locations (shipments: warehouse → in transit → recipient/back/loss).

    A line with a ``reservation`` uses up that reservation first.
    """
    for line in lines:
        require_either_site_scope(actor, [line.from_location, line.to_location])
    ledger.validate_moves(lines, reason)
    with transaction.atomic(durable=True):
        return ledger.move(
            lines,
            actor=actor,
            reason=reason,
            reference=reference,
            document_type=document_type,
            document_id=document_id,
            note=note,
        )


# --- locations --------------------------------------------------------------------------------
@retry_on_conflict
def create_location(
    site: Site, *, code: str, name: str, kind: str = LocationKind.BIN, parent: Location | None = None, actor: Actor
) -> Location:
    """Add a zone or bin to a site."""
    require_site_scope(actor, site)
    with transaction.atomic(durable=True):
        return add_location(site, code=code, name=name, kind=kind, parent=parent, actor=actor)
