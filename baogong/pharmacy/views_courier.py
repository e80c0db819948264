"""The pharmacy courier's phone: the orders handed to them, kept for use without network, and the
hand-overs (or failed deliveries) recorded offline that arrive from the phone's queue."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from baogong.core import field
from baogong.core.fieldviews import field_page
from baogong.core.permissions import require_perm
from baogong.core.scoping import scoped
from baogong.pharmacy.choices import OrderStatus
from baogong.pharmacy.models import Order


@require_perm("pharmacy.deliver_order")
@field_page
def my_deliveries(request: HttpRequest) -> HttpResponse:
    """The courier's own list: orders handed to them and not yet delivered (a field page)."""
    orders = (
        Order.objects.filter(courier_id=request.user.pk, status=OrderStatus.OUT_FOR_DELIVERY)
        .select_related("pharmacy", "area")
        .order_by("dispatched_at", "id")
    )
    return render(request, "pharmacy/my_deliveries.html", {"orders": orders})


def _may_send(request: HttpRequest, order: Order | None, based_on: str) -> bool:
    """The order is in the user's scope, handed to them, or was handed to them when their page
    showed it (``based_on`` names that version: it was re-assigned since)."""
    if order is None:
        return False
    if order.courier_id == request.user.pk or scoped(Order.objects.filter(pk=order.pk), request.user).exists():
        return True
    seen = order.handover_version(status=OrderStatus.OUT_FOR_DELIVERY, courier_id=request.user.pk)
    return bool(based_on) and secrets.compare_digest(based_on, seen)


def queued_handover(
    request: HttpRequest, pk: int, run: Callable[[Order, str], Order], labels: dict[str, str]
) -> HttpResponse:
    """A hand-over or failed delivery from the courier's queue (made offline): a replay of the same
    device event answers the first answer; an order re-assigned, cancelled or delivered by someone
    else meanwhile becomes an offline conflict for the pharmacy to review."""
    based_on = request.POST.get("based_on", "")[:64]
    order = Order.objects.select_related("pharmacy").filter(pk=pk).first()
    if order is None or not _may_send(request, order, based_on):
        return field.queue_answer(404, code="not_found", message=_("Not found."))

    def target() -> field.ConflictTarget:
        return field.ConflictTarget(
            kind="pharmacy_handover",
            object_label=_("Hand-over of order %(number)s") % {"number": order.number},
            link=reverse("pharmacy:order_detail", args=[order.pk]),
            permission="pharmacy.deliver_order",
            organisation_id=order.pharmacy.organisation_id,
            site_id=order.pharmacy_id,
            payload=field.form_payload(request, labels),
        )

    return field.answer_queued(
        request,
        lambda: run(order, based_on),
        target=target,
        answer=lambda done: {"order": done.number, "order_status": done.status},
    )
