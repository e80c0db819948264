"""Reserving free units earliest-expiry-first and giving them back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core import audit
from baogong.core.audit import Actor, user_of
from baogong.inventory import locks
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.errors import InvalidState, StockInvalid
from baogong.inventory.ledger import fast
from baogong.inventory.ledger.common import IssueLineInput, NeedLike, line_errors, require_transaction, shortage
from baogong.inventory.ledger.fefo import candidates, plan_fefo
from baogong.inventory.models import Reservation, StockBalance
from baogong.orgs.models import Site


# --- reservations -----------------------------------------------------------------------------
def _reserve_picks(picks: list[tuple[int, StockBalance, int]]) -> None:
    per_balance: dict[int, int] = defaultdict(int)
    for _i, balance, n in picks:
        per_balance[balance.pk] += n
    for balance_pk in sorted(per_balance):
        n = per_balance[balance_pk]
        done = StockBalance.objects.filter(pk=balance_pk, on_hand__gte=F("reserved") + n).update(
            reserved=F("reserved") + n
        )
        if not done:  # pragma: no cover - the rows are locked, so this cannot happen
            raise shortage([{"balance": balance_pk, "requested": n, "available": 0}])


def _reserve_many_fast(warehouse: Site, needs: Sequence[NeedLike], *, actor: Actor) -> dict[Any, list[Reservation]]:
    """``reserve_many`` as one statement (PostgreSQL): the same reservations and audit event."""
    many = _("%(warehouse)s: %(count)d reservations").replace("%(count)d", "{count}")
    picked = fast.reserve(
        warehouse,
        [(n.item, n.qty, n.reference) for n in needs],
        actor=actor,
        object_repr=many.replace("%(warehouse)s", warehouse.code),
    )
    result: dict[Any, list[Reservation]] = defaultdict(list)
    for i, reservation in picked:
        result[needs[i].key].append(reservation)
    return dict(result)


def reserve_many(warehouse: Site, needs: Sequence[NeedLike], *, actor: Actor) -> dict[Any, list[Reservation]]:
    """Reserve every need at one warehouse, earliest expiry first across lots and bins; all or nothing.

    Returns ``{need.key: [reservations]}``; raises :class:`InsufficientStock` (nothing written)
    when any need cannot be met. One audit event ``reserve_stock`` lists every reservation.
    """
    require_transaction()
    if not needs:
        return {}
    errors: dict[int, dict[str, list[str]]] = {}
    for i, need in enumerate(needs):
        if not isinstance(need.qty, int) or need.qty <= 0:
            errors[i] = {"qty": [_("Quantities must be whole numbers above zero.")]}
        elif not need.reference.strip():
            errors[i] = {"reference": [_("Name the document the stock is reserved for.")]}
    if errors:
        raise line_errors(errors)
    if fast.enabled():
        return _reserve_many_fast(warehouse, needs, actor=actor)
    found = candidates(warehouse, {n.item.pk for n in needs}, lock=True)
    picks, short = plan_fefo(found, [IssueLineInput(item=n.item, qty=n.qty) for n in needs])
    if short:
        raise shortage(short)
    _reserve_picks(picks)
    user = user_of(actor)
    made: list[tuple[int, Reservation]] = [
        (
            i,
            Reservation(
                balance=balance,
                item_id=balance.item_id,
                lot=balance.lot,
                location=balance.location,
                qty=n,
                original_qty=n,
                reference=needs[i].reference[:128],
                created_by=user,
            ),
        )
        for i, balance, n in picks
    ]
    Reservation.objects.bulk_create([r for _i, r in made])
    result: dict[Any, list[Reservation]] = defaultdict(list)
    for i, reservation in made:
        result[needs[i].key].append(reservation)
    audit.record(
        "reserve_stock",
        made[0][1],
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "lines": [
                {
                    "reference": needs[i].reference,
                    "item": needs[i].item.code,
                    "lot": r.lot.batch,
                    "location": r.location.code,
                    "qty": r.qty,
                }
                for i, r in made
            ],
        },
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
        object_repr=_("%(warehouse)s: %(count)d reservations") % {"warehouse": warehouse.code, "count": len(made)},
    )
    return dict(result)


def reserve(warehouse: Site, item: Item, qty: int, *, actor: Actor, reference: str) -> list[Reservation]:
    """Reserve ``qty`` of ``item`` at the warehouse, earliest expiry first, across lots and bins."""
    require_transaction()
    if not isinstance(qty, int) or qty <= 0:
        raise StockInvalid(details={"qty": [_("Quantities must be whole numbers above zero.")]})
    if not reference.strip():
        raise StockInvalid(details={"reference": [_("Name the document the stock is reserved for.")]})
    if fast.enabled():
        return [r for _i, r in fast.reserve(warehouse, [(item, qty, reference)], actor=actor)]
    found = candidates(warehouse, [item.pk], lock=True)
    picks, short = plan_fefo(found, [IssueLineInput(item=item, qty=qty)])
    if short:
        raise shortage(short)
    _reserve_picks(picks)
    user = user_of(actor)
    made = [
        Reservation(
            balance=balance,
            item=item,
            lot=balance.lot,
            location=balance.location,
            qty=n,
            original_qty=n,
            reference=reference[:128],
            created_by=user,
        )
        for _i, balance, n in picks
    ]
    Reservation.objects.bulk_create(made)
    audit.record(
        "reserve_stock",
        made[0],
        actor=actor,
        after={
            "warehouse": warehouse.code,
            "item": item.code,
            "qty": qty,
            "reference": reference,
            "lots": [{"lot": r.lot.batch, "location": r.location.code, "qty": r.qty} for r in made],
        },
        organisation_id=warehouse.organisation_id,
        site_id=warehouse.pk,
    )
    return made


def release(reservation: Reservation, *, actor: Actor, qty: int | None = None) -> Reservation:
    """Give back all (or ``qty``) of the reservation's open units."""
    require_transaction()
    locks.lock_balance_ids([reservation.balance_id])
    locked = locks.reservation_for_update(reservation.pk)
    if locked.status != ReservationStatus.ACTIVE:
        raise InvalidState(_("The reservation is not active."))
    n = locked.qty if qty is None else qty
    if not isinstance(n, int) or n <= 0 or n > locked.qty:
        raise StockInvalid(details={"qty": [_("Release between 1 and %(n)d units.") % {"n": locked.qty}]})
    done = StockBalance.objects.filter(pk=locked.balance_id, reserved__gte=n).update(reserved=F("reserved") - n)
    if not done:  # pragma: no cover - the balance is locked and holds this reservation
        raise InvalidState(_("Stock kept changing; try again."))
    before = {"qty": locked.qty, "status": locked.status}
    locked.qty -= n
    if locked.qty == 0:
        locked.status = ReservationStatus.RELEASED
    locked.save(update_fields=["qty", "status"])
    audit.record(
        "release_reservation", locked, actor=actor, before=before, after={"qty": locked.qty, "status": locked.status}
    )
    return locked


def release_many(reservations: Sequence[Reservation], *, actor: Actor) -> int:
    """Give back every open unit of the reservations; answers the units released.

    Locks in the one order (balances, then reservations, each by primary key) before reading a
    number, so it never waits in a cycle with an allocation, a pick or another release. Reservations
    no longer active once locked are skipped (someone else released or consumed them meanwhile).
    """
    require_transaction()
    ids = sorted({r.pk for r in reservations})
    if not ids:
        return 0
    balance_ids = Reservation.objects.filter(pk__in=ids).values_list("balance_id", flat=True)
    locks.lock_balance_ids(list(balance_ids))
    rows = locks.active_reservations_for_update(ids)
    released = 0
    for row in rows:
        n = row.qty
        done = StockBalance.objects.filter(pk=row.balance_id, reserved__gte=n).update(reserved=F("reserved") - n)
        if not done:  # pragma: no cover - the balance is locked and holds this reservation
            raise InvalidState(_("Stock kept changing; try again."))
        before = {"qty": n, "status": row.status}
        row.qty = 0
        row.status = ReservationStatus.RELEASED
        row.save(update_fields=["qty", "status"])
        audit.record("release_reservation", row, actor=actor, before=before, after={"qty": 0, "status": row.status})
        released += n
    return released
