"""Held dispatches: a refused load or dispatch is kept on record (``DispatchHold``).

The refused action rolls back everything it did, so the hold is written afterwards in a
transaction of its own, audited (``hold_dispatch``). The daily situation report counts them
(``queries.held_dispatches``): the lockdown's "dispatches held and why" from history, not from a
log of the run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import NotFound
from baogong.core.retry import retry_on_conflict
from baogong.distribution import locks
from baogong.distribution.errors import DispatchRefused
from baogong.distribution.models import DispatchHold, Shipment

F = TypeVar("F", bound=Callable[..., Any])


@retry_on_conflict
def record_hold(shipment: Shipment, stage: str, reasons: list[str], *, actor: Actor) -> DispatchHold | None:
    """Write one held dispatch with its reasons, audited, in a transaction of its own. The
    shipment is locked first: one a re-plan withdrew meanwhile has nothing left to hold (None)."""
    with transaction.atomic(durable=True):
        try:
            locks.shipment_for_update(shipment.pk)
        except NotFound:
            return None
        hold = DispatchHold(shipment_id=shipment.pk, stage=stage, reasons=[str(r)[:500] for r in reasons][:20])
        user = audit.user_of(actor)
        hold.actor = user
        hold.actor_label = (user.get_username() if user is not None else str(getattr(actor, "audit_label", "")))[:150]
        hold.shipment = Shipment.objects.select_related("warehouse").get(pk=shipment.pk)
        hold.save()
        audit.record("hold_dispatch", hold, actor=actor, after={"stage": stage, "reasons": hold.reasons})
        return hold


def records_holds(stage: str) -> Callable[[F], F]:
    """Decorate a durable load/dispatch action: a :class:`DispatchRefused` it raises is recorded as
    a hold, then raised on to the caller unchanged."""

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def inner(shipment: Shipment, *args: Any, **kwargs: Any) -> Any:
            try:
                return func(shipment, *args, **kwargs)
            except DispatchRefused as exc:
                # The action is durable: it cannot have run inside a caller's transaction, so the
                # hold gets a durable transaction of its own.
                reasons = list((exc.details or {}).get("reasons") or [str(exc)])
                record_hold(shipment, stage, reasons, actor=kwargs.get("actor"))
                raise

        return inner  # type: ignore[return-value]

    return wrap
