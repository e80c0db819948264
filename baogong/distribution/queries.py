"""Reads shared by views, the API and reports."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from baogong.core.money import round_fen
from baogong.core.scoping import scoped
from baogong.distribution.choices import ALLOCATABLE_STATUSES, RequestStatus, ShipmentStatus
from baogong.distribution.models import (
    AllocationRun,
    DispatchHold,
    Norm,
    Request,
    RequestLine,
    Shipment,
    ShipmentLine,
)
from baogong.orgs.choices import SiteKind


def requests_for(user: Any) -> QuerySet[Request]:
    return scoped(Request.objects.select_related("recipient"), user)


def shipments_for(user: Any) -> QuerySet[Shipment]:
    return scoped(Shipment.objects.select_related("warehouse", "recipient"), user)


def entitlement(headcount: int | None, qty_per_person: Decimal | None) -> int | None:
    """Whole units a recipient is entitled to: ⌊headcount × norm⌋, or None when either is unknown."""
    if headcount is None or qty_per_person is None:
        return None
    return math.floor(Decimal(headcount) * qty_per_person)


def open_lines(request_ids: Iterable[int] | None = None) -> QuerySet[RequestLine]:
    """Approved lines of allocatable requests with units still to allocate (carry-over included).
    The recipients and items are read once each (a day's run has hundreds of lines for a few dozen
    recipients and items), not joined into every line."""
    qs = (
        RequestLine.objects.filter(request__status__in=ALLOCATABLE_STATUSES, approved_qty__gt=F("allocated_qty"))
        .select_related("request")
        .prefetch_related("request__recipient", "item")
    )
    if request_ids is not None:
        qs = qs.filter(request_id__in=list(request_ids))
    return qs.order_by("request_id", "id")


@dataclass(frozen=True)
class Claim:
    line: RequestLine
    tier: int
    outstanding: int
    entitlement: int | None
    claim: int


def claims(lines: Iterable[RequestLine]) -> list[Claim]:
    """Each line's claim: its outstanding units, capped by what is left of the recipient's
    entitlement for the line (headcount × per-person norm) when both are known."""
    lines = list(lines)
    norms = {n.item_id: n.qty_per_person for n in Norm.objects.filter(item_id__in={line.item_id for line in lines})}
    result = []
    for line in lines:
        site = line.request.recipient
        cap = entitlement(site.headcount, norms.get(line.item_id))
        outstanding = line.outstanding
        claim = outstanding if cap is None else max(0, min(outstanding, cap - line.allocated_qty))
        result.append(Claim(line, site.priority_tier, outstanding, cap, claim))
    return result


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def runs() -> QuerySet[AllocationRun]:
    return AllocationRun.objects.select_related("created_by").prefetch_related("warehouses")


# --------------------------------------------------------------------------- delivered value

VALUE_DIMENSIONS = {
    "recipient": ("shipment__recipient__code", "shipment__recipient__name"),
    "recipient_kind": ("shipment__recipient__kind", None),
    "category": ("item__category__code", "item__category__name"),
    "warehouse": ("shipment__warehouse__code", "shipment__warehouse__name"),
    "day": ("day", None),
}


def delivered_lines(
    date_from: dt.date,
    date_to: dt.date,
    recipient_kinds: Iterable[str] | None = None,
    category_under: str | None = None,
) -> QuerySet[ShipmentLine]:
    """Shipment lines accepted by receivers between the two dates (inclusive, local time);
    ``category_under``: only items of that catalog category or below (``LIFE``: daily necessities)."""
    qs = ShipmentLine.objects.filter(
        shipment__status__in=[ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED],
        shipment__delivered_at__date__gte=date_from,
        shipment__delivered_at__date__lte=date_to,
        received_qty__gt=0,
    )
    if recipient_kinds is not None:
        qs = qs.filter(shipment__recipient__kind__in=list(recipient_kinds))
    if category_under is not None:
        qs = qs.filter(item__category__code__startswith=category_under)
    return qs


def _value_expr() -> Any:
    return ExpressionWrapper(
        F("received_qty") * F("unit_cost"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )


def delivered_totals(
    date_from: dt.date,
    date_to: dt.date,
    recipient_kinds: Iterable[str] | None = None,
    category_under: str | None = None,
) -> dict[str, Any]:
    """Items (issue units, 件) and value (¥, rounded to the fen) delivered in the period."""
    row = delivered_lines(date_from, date_to, recipient_kinds, category_under).aggregate(
        items=Sum("received_qty"), value=Sum(_value_expr())
    )
    return {"items": int(row["items"] or 0), "value": round_fen(Decimal(row["value"] or 0))}


def delivered_breakdown(
    date_from: dt.date, date_to: dt.date, by: str, recipient_kinds: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Items and value per recipient, recipient kind, category, warehouse or day, largest value first
    (days in date order)."""
    key, label = VALUE_DIMENSIONS[by]
    qs = delivered_lines(date_from, date_to, recipient_kinds)
    if by == "day":
        qs = qs.annotate(day=TruncDate("shipment__delivered_at"))
    fields = [key] + ([label] if label else [])
    rows = qs.values(*fields).annotate(items=Sum("received_qty"), value=Sum(_value_expr()))
    result = [
        {
            "key": (r[key].isoformat() if isinstance(r[key], dt.date) else (r[key] or "")),
            "label": r[label] if label else r[key],
            "items": int(r["items"] or 0),
            "value": round_fen(Decimal(r["value"] or 0)),
        }
        for r in rows
    ]
    if by == "day":
        return sorted(result, key=lambda r: r["key"])
    if by == "recipient_kind":
        kinds = dict(SiteKind.choices)
        for r in result:
            r["label"] = str(kinds.get(r["key"], r["key"]))
    return sorted(result, key=lambda r: (-r["value"], r["key"]))


# --------------------------------------------------------------------------- as of a past day
def held_dispatches(user: Any, start: dt.datetime, end: dt.datetime) -> QuerySet[DispatchHold]:
    """Loads and dispatches refused in ``[start, end)`` (``DispatchHold``), newest first."""
    return scoped(
        DispatchHold.objects.filter(at__gte=start, at__lt=end).select_related(
            "shipment", "shipment__warehouse", "shipment__recipient"
        ),
        user,
    )


def held_shipment_days(user: Any, start: dt.datetime, end: dt.datetime) -> int:
    """Shipments held in ``[start, end)``, each shipment once a (local) day however many times its
    load or dispatch was tried and refused that day: a retry of the same refused dispatch is the
    same hold, not another one."""
    from django.utils import timezone

    return (
        held_dispatches(user, start, end)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("shipment_id", "day")
        .distinct()
        .count()
    )


def unmet_by_tier(user: Any, end: dt.datetime) -> dict[int, int]:
    """Units requested but not yet sent at ``end``, by the recipient's priority tier.

    From history, not from today's state: requests submitted before ``end`` and not rejected,
    cancelled or closed by then (those end states are final, so their ``updated_at`` is when they
    were reached); each line counts its approved quantity once approved before ``end`` (its
    requested quantity before that) less what shipments dispatched before ``end`` carried.
    """
    ended = Q(status__in=[RequestStatus.CANCELLED, RequestStatus.CLOSED], updated_at__lt=end) | Q(
        status=RequestStatus.REJECTED, decided_at__lt=end
    )
    requests = requests_for(user).filter(submitted_at__lt=end).exclude(ended)
    lines = RequestLine.objects.filter(request__in=requests.values("pk")).values_list(
        "pk", "qty", "approved_qty", "request__decided_at", "request__recipient__priority_tier"
    )
    sent = dict(
        ShipmentLine.objects.filter(request_line__request__in=requests.values("pk"), shipment__dispatched_at__lt=end)
        .values_list("request_line_id")
        .annotate(n=Sum("qty"))
        .order_by()
    )
    unmet: dict[int, int] = {}
    for pk, qty, approved, decided_at, tier in lines:
        wanted = approved if approved is not None and decided_at is not None and decided_at < end else qty
        unmet[tier] = unmet.get(tier, 0) + max(0, wanted - int(sent.get(pk, 0)))
    return dict(sorted(unmet.items()))


def requested_units(user: Any, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Units asked for by requests submitted in ``[start, end)`` (not rejected), by item id."""
    requests = requests_for(user).filter(submitted_at__gte=start, submitted_at__lt=end)
    rows = (
        RequestLine.objects.filter(request__in=requests.exclude(status=RequestStatus.REJECTED).values("pk"))
        .values_list("item_id")
        .annotate(n=Sum("qty"))
        .order_by()
    )
    return {item_id: int(n) for item_id, n in rows}


def activity_span(user: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and last time one of the user's requests was submitted or one of their shipments
    delivered; ``None`` when there is neither."""
    requests = requests_for(user).aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    shipments = scoped(Shipment.objects.all(), user).aggregate(first=Min("delivered_at"), last=Max("delivered_at"))
    firsts = [at for at in (requests["first"], shipments["first"]) if at is not None]
    lasts = [at for at in (requests["last"], shipments["last"]) if at is not None]
    return (min(firsts), max(lasts)) if firsts else None


def delivery_review_payload(
    lines: Iterable[Any],
    counts: Mapping[int, tuple[Any, Any]],
    *,
    reason: str,
    disposition: str,
    received_by: str,
    receiver_phone: str,
) -> dict[str, str]:
    """What a phone sent for a delivery, labelled for the person who reviews an offline conflict
    (the phone number masked)."""
    from django.utils.translation import gettext as _

    from baogong.core.identifiers import mask_phone
    from baogong.distribution.choices import Disposition

    payload: dict[str, str] = {}
    for li in lines:
        name = f"{li.item.name} {li.lot.batch if li.lot_id else ''}".strip()
        received, damaged = counts.get(li.pk, ("", ""))
        payload[f"{name} · {_('Accepted')}"] = str(received)[:20]
        payload[f"{name} · {_('Damaged')}"] = str(damaged)[:20]
    payload[_("Reason for any shortage or damage")] = reason[:255]
    payload[_("Missing units")] = str(Disposition(disposition).label) if disposition in Disposition.values else ""
    payload[_("Receiver's name")] = received_by[:64]
    payload[_("Receiver's phone")] = mask_phone(receiver_phone[:32])
    return payload
