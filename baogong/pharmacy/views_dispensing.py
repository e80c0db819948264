"""The pharmacist scans the traceability code of every pack handed out for an order."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core.actionviews import run_action
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404
from baogong.pharmacy.actions.dispensing import dispense_trace_codes
from baogong.pharmacy.models import Order

MAX_TEXT = 2000 * 22


@require_POST
@require_perm("pharmacy.review_order")
def order_dispense(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(Order.objects.select_related("pharmacy"), request.user, pk=pk)
    codes = [c for c in re.split(r"[\s,;，；]+", request.POST.get("codes", "")[:MAX_TEXT]) if c]
    return run_action(
        request,
        lambda: dispense_trace_codes(order, codes, actor=request.user),
        done=lambda rows: _("%(n)d packs recorded by their traceability codes.") % {"n": len(rows)},
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )
