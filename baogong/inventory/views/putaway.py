"""The keeper's put-away list: what waits in the main store, put into bins row by row. A field
page: kept on the phone or tablet for use without network; put-aways recorded offline arrive from
the phone's queue."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core import field
from baogong.core.actionviews import run_action
from baogong.core.fieldviews import field_page
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.inventory import actions, queries
from baogong.inventory.models import Location, StockBalance


@require_perm("inventory.transfer_stock")
@field_page
def put_away_list(request: HttpRequest) -> HttpResponse:
    return render(request, "inventory/put_away.html", {"balances": queries.put_away_stock(request.user)})


@require_POST
@require_perm("inventory.transfer_stock")
def put_away(request: HttpRequest, pk: int) -> HttpResponse:
    """Put one row away (``pk`` is the main-store balance): from the page, or from the queue."""
    balance = get_scoped_or_404(
        StockBalance.objects.select_related("location__site", "item", "lot"), request.user, pk=pk
    )
    site = balance.location.site
    to_location = (
        scoped(Location.objects.filter(site=site), request.user)
        .filter(pk=_int(request.POST.get("to_location")) or 0)
        .first()
    )
    qty = _int(request.POST.get("qty"))
    if field.is_queued(request):
        event = field.event_id(request)

        def target() -> field.ConflictTarget:
            return field.ConflictTarget(
                kind="put_away",
                object_label=_("Put-away of %(item)s batch %(batch)s at %(site)s")
                % {"item": balance.item.code, "batch": balance.lot.batch, "site": site},
                link=reverse("inventory:put_away_list"),
                permission="inventory.transfer_stock",
                organisation_id=site.organisation_id if site else None,
                site_id=site.pk if site else None,
                payload=field.form_payload(request, {"qty": _("Quantity")})
                | {str(_("To bin")): to_location.code if to_location else ""},
            )

        return field.answer_queued(
            request,
            lambda: actions.put_away(
                balance.pk,
                to_location,
                qty if qty is not None else 0,
                actor=request.user,
                reference=f"PUT-{event[:12]}",
                based_on=request.POST.get("based_on", "")[:64] or "offline",
            ),
            target=target,
            answer=lambda transfer: {"transfer": transfer.number},
            done=lambda transfer: _("Transfer %(number)s posted.") % {"number": transfer.number},
        )
    return run_action(
        request,
        lambda: actions.put_away(balance.pk, to_location, qty if qty is not None else 0, actor=request.user),
        done=lambda transfer: _("Transfer %(number)s posted.") % {"number": transfer.number},
        then=redirect("inventory:put_away_list"),
    )


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None
