"""Ordered row locks on sites (``docs/decisions/0003-lock-order.md``).

Sites come after the document that changes them (closing an incident: the incident, then its
sites in pk order, before reading whether another open incident holds them). Other apps lock
sites through :func:`baogong.orgs.actions.lock_sites`, which checks it runs in a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from baogong.orgs.models import ChangeRequest, Organisation, Site


def organisation_for_update(pk: int) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=pk)


def site_for_update(pk: int) -> Site:
    return Site.objects.select_for_update().get(pk=pk)


def sites_for_update(ids: Iterable[int]) -> dict[int, Site]:
    """The sites of ``ids``, locked in pk order; by pk."""
    return {s.pk: s for s in Site.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")}


def change_request_for_update(pk: int) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().get(pk=pk)
