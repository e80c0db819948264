"""Bulk actions of the distribution lists (core.bulk): approve many requests as filed (each
through ``approve_request``, as its own button does) and print many delivery notes in one PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from baogong.core import bulk
from baogong.core.pdf import pdf_response
from baogong.core.qr import qr_svg
from baogong.distribution import actions, queries


def _approve(request: Any, user: Any) -> None:
    actions.approve_request(request, actor=user)


def _delivery_notes(request: HttpRequest, shipments: list[Any]) -> HttpResponse:
    from baogong.distribution.views import _shipment_context

    notes = []
    for shipment in shipments:
        context = _shipment_context(request, shipment)
        context["qr"] = qr_svg(context["link"])
        notes.append(context)
    return pdf_response("distribution/delivery_notes_pdf.html", {"notes": notes}, f"delivery-notes-{len(notes)}.pdf")


def register() -> None:
    bulk.register(
        bulk.BulkAction(
            key="distribution.approve_requests",
            group="distribution.requests",
            label=_("Approve as requested"),
            perm="distribution.approve_request",
            rows=lambda user: queries.requests_for(user),
            act=_approve,
            describe=lambda r: f"{r.number} {r.recipient.name}",
            style="success",
        )
    )
    bulk.register(
        bulk.BulkAction(
            key="distribution.print_delivery_notes",
            group="distribution.shipments",
            label=_("Print delivery notes"),
            perm="distribution.view_shipment",
            rows=lambda user: queries.shipments_for(user).select_related("warehouse", "recipient"),
            render=_delivery_notes,
        )
    )
