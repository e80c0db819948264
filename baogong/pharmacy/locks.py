"""Ordered row locks for the pharmacy's actions (``docs/decisions/0003-lock-order.md``).

The order, within one transaction:

1. the orders acted on (in pk order), each alone — never its pharmacy's site row;
2. an order's settlement (the refund of a cancelled or undelivered order);
3. stock balances, then reservations — only through :mod:`baogong.inventory.ledger`
   (``reserve_many``, ``move``, ``release_many``), which takes them in pk order.

A drug's row is locked on its own (``save_drug`` touches nothing else).
"""

from __future__ import annotations

from collections.abc import Iterable

from baogong.pharmacy.models import Drug, Order, Settlement


def drug_for_update(pk: int) -> Drug:
    return Drug.objects.select_for_update().get(pk=pk)


def order_for_update(pk: int) -> Order:
    """The order, locked (its pharmacy is loaded, not locked)."""
    return Order.objects.select_for_update(of=("self",)).select_related("pharmacy").get(pk=pk)


def orders_for_update(numbers: Iterable[str]) -> dict[str, Order]:
    """The orders with these numbers, locked in pk order; by number (unknown numbers are absent)."""
    rows = (
        Order.objects.select_for_update(of=("self",))
        .filter(number__in=sorted(set(numbers)))
        .select_related("pharmacy")
        .order_by("pk")
    )
    return {o.number: o for o in rows}


def settlement_for_update(order: Order) -> Settlement | None:
    """The order's settlement, locked (after the order); ``None`` when it was not settled."""
    return Settlement.objects.select_for_update().filter(order=order).order_by("pk").first()


def orders_by_pk_for_update(pks: Iterable[int]) -> dict[int, Order]:
    """The orders with these pks, locked in pk order (their pharmacies loaded, not locked); by pk
    (unknown pks are absent)."""
    rows = (
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(pks)))
        .select_related("pharmacy")
        .order_by("pk")
    )
    return {o.pk: o for o in rows}
