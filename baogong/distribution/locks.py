"""Ordered row locks of distribution records: every ``select_for_update`` of the app is here.

The one order (``docs/decisions/0003-lock-order.md``), each set in primary-key order, and the
numbers and states an action decides on read only after the locks are taken:

1. the document acted on: :func:`allocation_run_for_update`, :func:`shipment_for_update` /
   :func:`shipments_for_update`, :func:`request_link_for_update`, :func:`norm_for_update`
2. requests: :func:`request_for_update`, :func:`requests_for_update`,
   :func:`requests_of_lines_for_update`
3. their lines: :func:`lines_for_update`, :func:`lines_of_request_for_update`,
   :func:`line_for_update`, :func:`request_lines_for_update`
4. allocation <-> reservation links: :func:`allocation_links_for_update`
5. stock balances and 6. reservations: inventory's ``locks.py``, through ``inventory.ledger``
   (:mod:`baogong.distribution.stock`).

Every lock here takes only this app's rows (``of=("self",)`` where rows of other apps are joined
for reading): no lock on a site, an item or a lot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from baogong.core.errors import NotFound
from baogong.distribution.models import (
    AllocationReservation,
    AllocationRun,
    Norm,
    Request,
    RequestLine,
    RequestLink,
    Shipment,
)


def request_for_update(pk: int) -> Request:
    """One request, locked (with its recipient loaded)."""
    return Request.objects.select_for_update(of=("self",)).select_related("recipient").get(pk=pk)


def requests_for_update(pks: Iterable[int]) -> list[Request]:
    return list(
        Request.objects.select_for_update(of=("self",))
        .select_related("recipient")
        .filter(pk__in=set(pks))
        .order_by("pk")
    )


def lines_for_update(pks: Iterable[int]) -> QuerySet[RequestLine]:
    return RequestLine.objects.select_for_update(of=("self",)).filter(pk__in=set(pks)).order_by("pk")


def requests_of_lines_for_update(request_ids: QuerySet[Any]) -> list[tuple[int, str, str | None]]:
    """``(pk, status, number)`` of the requests a subquery selects, locked in pk order (tuples,
    not instances: a confirm may lock ten thousand)."""
    return list(
        Request.objects.select_for_update()
        .filter(pk__in=request_ids)
        .order_by("pk")
        .values_list("pk", "status", "number")
    )


def request_lines_for_update(line_ids: QuerySet[Any]) -> list[tuple[int, int, int | None, int]]:
    """``(pk, request_id, approved_qty, allocated_qty)`` of the lines a subquery selects, locked in
    pk order."""
    return list(
        RequestLine.objects.select_for_update()
        .filter(pk__in=line_ids)
        .order_by("pk")
        .values_list("pk", "request_id", "approved_qty", "allocated_qty")
    )


def shipments_for_update(pks: Iterable[int], *, related: bool = False) -> list[Shipment]:
    """Shipments, locked in pk order (step 1 of the lock order when they are the document acted
    on; after the caller's own document otherwise, as fleet's plan and routes). ``related``: with
    their warehouse and recipient (and its area) loaded, not locked."""
    qs = Shipment.objects.select_for_update(of=("self",)).filter(pk__in=set(pks))
    if related:
        qs = qs.select_related("warehouse", "recipient__area")
    return list(qs.order_by("pk"))


def shipment_for_update(pk: int) -> Shipment:
    """One shipment, locked (step 1), with its warehouse and recipient loaded (not locked). One a
    re-plan withdrew meanwhile (deleted) is not found (404), never a 500."""
    shipment = (
        Shipment.objects.select_for_update(of=("self",)).select_related("warehouse", "recipient").filter(pk=pk).first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


def allocation_run_for_update(pk: int) -> AllocationRun:
    """One allocation run, locked (step 1: the document confirmed or discarded)."""
    return AllocationRun.objects.select_for_update().get(pk=pk)


def request_link_for_update(pk: int) -> RequestLink:
    """One request link, locked (step 1), with its recipient loaded (not locked)."""
    return RequestLink.objects.select_for_update(of=("self",)).select_related("recipient").get(pk=pk)


def norm_for_update(item_id: int) -> Norm | None:
    """The norm of an item, locked (step 1), or ``None`` when the item has none yet."""
    return Norm.objects.select_for_update().filter(item_id=item_id).order_by("pk").first()


def lines_of_request_for_update(request_id: int) -> list[RequestLine]:
    """Every line of a request, locked in pk order (step 3, after the request)."""
    return list(RequestLine.objects.select_for_update().filter(request_id=request_id).order_by("pk"))


def line_for_update(pk: int) -> RequestLine:
    """One request line, locked (step 3, after its request), with its item loaded (not locked)."""
    return RequestLine.objects.select_for_update(of=("self",)).select_related("item").get(pk=pk)


def allocation_links_for_update(links: QuerySet[AllocationReservation]) -> list[AllocationReservation]:
    """The allocation <-> reservation links a queryset selects, locked in pk order (step 4, after
    their requests and lines), with what a shipment plan reads loaded (not locked): the rows of
    each link joined, the warehouses, lots, bins, recipients and items they share read once each."""
    return list(
        links.select_for_update(of=("self",))
        .select_related("reservation", "line__request_line__request")
        .prefetch_related(
            "warehouse",
            "reservation__lot",
            "reservation__location",
            "line__request_line__request__recipient",
            "line__request_line__item",
        )
        .order_by("pk")
    )
