"""What apps above distribution plug into it, filled in their ``AppConfig.ready()``.

Distribution sits below fleet and people in the import layers (``[tool.importlinter]`` in
pyproject.toml), so it never imports them; fleet registers itself here instead::

    class FleetConfig(AppConfig):
        def ready(self) -> None:
            register_transport(FleetTransport())

A shipment names its vehicle and driver by the ids of fleet's records (``Shipment.vehicle_id``,
``Shipment.driver_id``; see docs/decisions/0005-registered-transport.md). The registered
:class:`TransportRegistry` turns the ids chosen on the load form or in the API into a
:class:`~baogong.distribution.shipments.Transport` (refusing ids that are not registered or not in
the actor's scope), offers the choices of the load form, and answers, field by field, why a
shipment may not be loaded or dispatched on a day (passes, driver's licence and clearance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from baogong.core.audit import Actor
    from baogong.distribution.models import Shipment
    from baogong.distribution.shipments import Transport

# ``check(shipment, on_date)`` → why the shipment may not leave on that day (empty: allowed).
# Reasons that belong to no field of the load form; kept for checks of other apps.
DispatchCheck = Callable[["Shipment", dt.date], list[str]]

DISPATCH_CHECKS: list[DispatchCheck] = []

# Field-level refusals: field name (``vehicle_id``, ``driver_id``, ``warehouse``, ``recipient``) →
# reasons (Chinese or English as the active language).
FieldErrors = dict[str, list[str]]


@dataclass(frozen=True)
class TransportOption:
    """One choice of the load form: a registered vehicle or driver the user may pick."""

    id: int
    label: str


class TransportRegistry(Protocol):
    """What the fleet answers about vehicles and drivers (registered in ``FleetConfig.ready``)."""

    def resolve(
        self, shipment: Shipment, vehicle_id: int | None, driver_id: int | None, *, actor: Any
    ) -> tuple[Transport, FieldErrors]:
        """The transport for the chosen ids, or field errors when an id is missing or is not a
        registered vehicle / driver (a driver is a person with a driver's registration) that
        ``actor`` may use for ``shipment`` (of the actor's organisations or the warehouse's)."""
        ...

    def find(
        self, shipment: Shipment, plate: str, driver_name: str, driver_phone: str, *, actor: Any
    ) -> tuple[int | None, int | None, FieldErrors]:
        """The ids of the registered vehicle with ``plate`` and of the one registered driver with
        ``driver_name`` (and ``driver_phone`` when given) that ``actor`` may use for ``shipment``
        (an import names them by text); field errors (``vehicle``, ``driver``) when not found or
        not certain."""
        ...

    def refusals(self, shipment: Shipment, on_date: dt.date) -> FieldErrors:
        """Why the shipment's vehicle and driver may not carry it on ``on_date``: the vehicle's status
        and pass (valid on the day, covering the recipient's area), the driver's licence and health
        clearance (test regime, not positive, not a close contact in isolation)."""
        ...

    def refusals_many(self, shipments: Sequence[Shipment], on_date: dt.date) -> dict[int, FieldErrors]:
        """:meth:`refusals` for many shipments at once (a day's batch), shipment id → the same
        answer, each vehicle and driver asked once."""
        ...

    def options(self, user: Any, shipment: Shipment) -> tuple[list[TransportOption], list[TransportOption]]:
        """Vehicles and drivers in ``user``'s scope offered on the load form of ``shipment``."""
        ...


TRANSPORT: list[TransportRegistry] = []


def register_dispatch_check(check: DispatchCheck) -> None:
    """Add a check that :func:`baogong.distribution.actions.dispatch_refusals` asks (once)."""
    if check not in DISPATCH_CHECKS:
        DISPATCH_CHECKS.append(check)


# ``withdraw(shipment_ids, actor)`` runs inside the re-plan's transaction before the shipments of
# an affected warehouse are deleted (the fleet takes them off its route plans).
ShipmentWithdrawn = Callable[[list[int], "Actor"], None]
SHIPMENT_WITHDRAWN: list[ShipmentWithdrawn] = []

# ``follow_up(warehouse_ids, actor)`` runs after a re-plan commits (the fleet re-runs the day's
# route plans of those warehouses).
AfterReplan = Callable[[list[int], "Actor"], object]
AFTER_REPLAN: list[AfterReplan] = []


def register_shipment_withdrawn(hook: ShipmentWithdrawn) -> None:
    if hook not in SHIPMENT_WITHDRAWN:
        SHIPMENT_WITHDRAWN.append(hook)


def register_after_replan(hook: AfterReplan) -> None:
    if hook not in AFTER_REPLAN:
        AFTER_REPLAN.append(hook)


# ``check(actor, on_date)`` → why this user may not load or dispatch goods on that day (people:
# the user's own person is positive or a close contact in isolation). Empty: allowed.
ActorCheck = Callable[["Actor", dt.date], list[str]]
ACTOR_CHECKS: list[ActorCheck] = []


def register_actor_check(check: ActorCheck) -> None:
    if check not in ACTOR_CHECKS:
        ACTOR_CHECKS.append(check)


def register_transport(registry: TransportRegistry) -> None:
    """Set the one transport registry (the fleet's); registering again replaces it."""
    TRANSPORT[:] = [registry]
