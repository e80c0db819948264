"""The receiver's proof-of-delivery page (no login), delivered value and the Excel imports."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core import field
from baogong.core.audit import SystemActor
from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, parse_date, workbook_bytes
from baogong.core.fieldviews import field_page
from baogong.core.imports import import_page, template_response
from baogong.core.permissions import require_perm
from baogong.core.ratelimit import rate_limited
from baogong.distribution import actions, queries
from baogong.distribution.actions import DeliveryLineInput
from baogong.distribution.actions.delivery import MAX_DELIVERY_PHOTOS
from baogong.distribution.choices import Disposition, ShipmentStatus

# --------------------------------------------------------------------------- proof of delivery (no login)


@rate_limited("public", exempt_authenticated=True)
@field_page
def delivery_page(request: HttpRequest, token: str) -> HttpResponse:
    """The receiver's phone page. Valid for this shipment only and until it is closed. Kept on the
    phone for offline use; a confirmation made offline arrives from the phone's queue
    (:func:`queued_delivery`)."""
    try:
        shipment = actions.shipment_for_delivery(token)
    except DomainError:
        if field.is_queued(request):
            return field.queue_answer(
                404, code="not_found", message=_("This delivery link is not valid or the shipment is closed.")
            )
        return render(
            request,
            "distribution/public_message.html",
            {"message": _("This delivery link is not valid or the shipment is closed.")},
            status=404,
        )
    lines = list(shipment.lines.select_related("item", "lot").order_by("pk"))
    if request.method == "POST" and field.is_queued(request):
        return queued_delivery(request, shipment, lines)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            inputs = [
                DeliveryLineInput(
                    li.pk,
                    int(request.POST.get(f"received_{li.pk}", "") or 0),
                    int(request.POST.get(f"damaged_{li.pk}", "") or 0),
                )
                for li in lines
            ]
        except ValueError:
            errors = {"lines": [_("Enter whole numbers.")]}
        else:
            try:
                actions.record_delivery(
                    shipment,
                    inputs,
                    received_by=request.POST.get("received_by", ""),
                    receiver_phone=request.POST.get("receiver_phone", ""),
                    client_token=request.POST.get("client_token", ""),
                    shortage_disposition=request.POST.get("disposition", Disposition.RETURN),
                    reason=request.POST.get("reason", ""),
                    photos=request.FILES.getlist("photo"),
                    actor=SystemActor(f"receiver:{request.POST.get('received_by', '')[:40]}"),
                )
            except DomainError as exc:
                errors = exc.details if isinstance(exc.details, dict) and exc.details else {"form": [str(exc.message)]}
            else:
                return redirect("distribution:delivery_page", token=token)
    context = {
        "shipment": shipment,
        "lines": lines,
        "errors": errors,
        "post": request.POST,
        "client_token": request.POST.get("client_token") or secrets.token_urlsafe(16),
        "done": shipment.status in (ShipmentStatus.DELIVERED, ShipmentStatus.CLOSED),
        "open": shipment.status == ShipmentStatus.IN_TRANSIT,
        "version": shipment.delivery_version(),
    }
    return render(request, "distribution/delivery_page.html", context, status=400 if errors else 200)


def _delivery_inputs(request: HttpRequest, lines: list[Any]) -> list[DeliveryLineInput]:
    return [
        DeliveryLineInput(
            li.pk,
            int(request.POST.get(f"received_{li.pk}", "") or 0),
            int(request.POST.get(f"damaged_{li.pk}", "") or 0),
        )
        for li in lines
    ]


def _delivery_payload(request: HttpRequest, lines: list[Any]) -> dict[str, str]:
    post = request.POST
    counts = {li.pk: (post.get(f"received_{li.pk}", ""), post.get(f"damaged_{li.pk}", "")) for li in lines}
    return queries.delivery_review_payload(
        lines,
        counts,
        reason=post.get("reason", ""),
        disposition=post.get("disposition", Disposition.RETURN),
        received_by=post.get("received_by", ""),
        receiver_phone=post.get("receiver_phone", ""),
    )


def queued_delivery(request: HttpRequest, shipment: Any, lines: list[Any]) -> HttpResponse:
    """A confirmation from the phone's queue: the device event id is the submission token (a
    replay answers the first result), the photo came before by its checksum, and a confirmation
    based on an older version of the shipment is kept for review (409 ``field_conflict``)."""
    event = field.event_id(request)
    if not event:
        return field.queue_answer(400, code="invalid", details={"event_id": [_("Missing device event id.")]})
    photos = []
    for sha256 in request.POST.getlist("photo_sha256")[:MAX_DELIVERY_PHOTOS]:
        kept = field.photo_by_checksum(sha256)
        if kept is None:
            return field.queue_answer(400, code="invalid", details={"photo": [_("The photo has not arrived yet.")]})
        photos.append(kept.file)
    actor = (
        request.user
        if request.user.is_authenticated
        else SystemActor(f"receiver:{request.POST.get('received_by', '')[:40]}")
    )
    try:
        actions.record_delivery(
            shipment,
            _delivery_inputs(request, lines),
            received_by=request.POST.get("received_by", ""),
            receiver_phone=request.POST.get("receiver_phone", ""),
            client_token=event,
            shortage_disposition=request.POST.get("disposition", Disposition.RETURN),
            reason=request.POST.get("reason", ""),
            photos=photos,
            based_on=request.POST.get("based_on", "")[:64],
            actor=SystemActor(f"receiver:{request.POST.get('received_by', '')[:40]}"),
        )
    except ValueError:
        return field.queue_answer(400, code="invalid", details={"lines": [_("Enter whole numbers.")]})
    except field.StaleVersion as stale:
        conflict = field.record_conflict(
            event=event,
            kind="delivery",
            object_label=_("Delivery of %(number)s to %(recipient)s")
            % {"number": shipment.number, "recipient": shipment.recipient.name},
            link=reverse("distribution:shipment_detail", args=[shipment.pk]),
            permission="distribution.dispatch_shipment",
            organisation_id=shipment.warehouse.organisation_id,
            site_id=shipment.warehouse_id,
            based_on=request.POST.get("based_on", ""),
            stale=stale,
            payload=_delivery_payload(request, lines),
            actor=actor,
        )
        return field.queue_answer(409, code="field_conflict", message=conflict.reason, details={})
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        return field.queue_answer(exc.status_code, code=exc.code, message=str(exc.message), details=details)
    return field.queue_answer(200, status="recorded", shipment=shipment.number)


@rate_limited("public", exempt_authenticated=True)
@require_POST
def delivery_photo(request: HttpRequest, token: str) -> HttpResponse:
    """A delivery photo taken offline, sent apart from its confirmation with its SHA-256."""
    try:
        actions.shipment_for_delivery(token)
    except DomainError:
        return field.queue_answer(
            404, code="not_found", message=_("This delivery link is not valid or the shipment is closed.")
        )
    actor = request.user if request.user.is_authenticated else SystemActor("receiver")
    try:
        photo = field.store_photo(request.body, claimed_sha256=request.headers.get("X-Photo-SHA256", ""), actor=actor)
    except DomainError as exc:
        return field.queue_answer(exc.status_code, code=exc.code, message=str(exc.message), details=exc.details)
    return field.queue_answer(201, sha256=photo.sha256, size=photo.size)


# --------------------------------------------------------------------------- value


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        date_from = parse_date(request.GET.get("from") or (today - dt.timedelta(days=30)).isoformat())
        date_to = parse_date(request.GET.get("to") or today.isoformat())
    except ValueError:
        return today - dt.timedelta(days=30), today
    return date_from, date_to


@require_perm("distribution.view_delivery_value")
def delivered_value(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _period(request)
    by = {k: queries.delivered_breakdown(date_from, date_to, k) for k in queries.VALUE_DIMENSIONS}
    totals = queries.delivered_totals(date_from, date_to)
    if request.GET.get("format") == "xlsx":
        rows = [
            [str(dim), r["key"], str(r["label"]), r["items"], r["value"]] for dim, rows_ in by.items() for r in rows_
        ]
        body = workbook_bytes(
            "delivered", ["dimension", "key", "name", "items", "value"], rows, notes=[f"{date_from} – {date_to}"]
        )
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="delivered-{date_from}-{date_to}.xlsx"'
        return response
    chart = {
        "days": [r["key"] for r in by["day"]],
        "day_values": [float(r["value"]) for r in by["day"]],
        "day_items": [r["items"] for r in by["day"]],
        "kinds": [{"name": str(r["label"]), "value": float(r["value"])} for r in by["recipient_kind"]],
    }
    context = {"by": by, "totals": totals, "date_from": date_from, "date_to": date_to, "chart": chart}
    return render(request, "distribution/delivered_value.html", context)


@require_perm("distribution.import_requests")
def request_import(request: HttpRequest) -> HttpResponse:
    """Excel import of requests: all rows or nothing, with a per-row error list."""
    if request.GET.get("template"):
        return template_response("requests-template.xlsx", "requests", actions.IMPORT_COLUMNS)
    return import_page(
        request,
        run=lambda upload: actions.import_requests(upload, actor=request.user),
        done=lambda made: _("%(n)d requests imported") % {"n": len(made)},
        then="distribution:request_list",
        title=_("Import requests"),
        intro=_("One request per recipient and reference; the file is imported only if every row is valid."),
        template_url="?template=1",
        columns=actions.IMPORT_COLUMNS,
    )


@require_perm("distribution.load_shipment")
def load_import(request: HttpRequest) -> HttpResponse:
    """Excel import of loads (shipment number, plate, driver): registered vehicles and drivers only,
    the same checks as the load form; all rows or nothing, with a per-row error list."""
    if request.GET.get("template"):
        return template_response("loads-template.xlsx", "loads", actions.LOAD_COLUMNS)
    return import_page(
        request,
        run=lambda upload: actions.import_loads(upload, actor=request.user),
        done=lambda made: _("%(n)d shipments loaded") % {"n": len(made)},
        then="distribution:shipment_list",
        title=_("Import loads"),
        intro=_(
            "One picked shipment per row, with a registered vehicle (plate) and driver (name, phone when two"
            " share a name); the pass, the driver's health and the sites are checked; the file is imported"
            " only if every row is valid."
        ),
        template_url="?template=1",
        columns=actions.LOAD_COLUMNS,
    )
