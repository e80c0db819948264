"""Bulk actions of the inventory lists (core.bulk): release many reservations at once, each in
full through ``release_reservation`` as its own button does."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from baogong.core import bulk
from baogong.core.scoping import scoped
from baogong.inventory import actions
from baogong.inventory.models import Reservation


def _release(reservation: Any, user: Any) -> None:
    actions.release_reservation(reservation, actor=user)


def register() -> None:
    bulk.register(
        bulk.BulkAction(
            key="inventory.release_reservations",
            group="inventory.reservations",
            label=_("Release in full"),
            perm="inventory.change_reservation",
            rows=lambda user: scoped(Reservation.objects.select_related("item", "location__site"), user),
            act=_release,
            describe=lambda r: f"{r.reference} {r.item.name} × {r.qty}",
            style="outline-danger",
        )
    )
