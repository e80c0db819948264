"""Every state change of the online pharmacy.

Each action is ONE durable transaction: the order's own rows and its stock (reservations, picks,
deliveries, returns) are written together through the in-transaction primitives of
:mod:`baogong.inventory.ledger`, so a refusal or a crash anywhere leaves nothing half done and
nothing needs undoing. Locks follow ``docs/decisions/0003-lock-order.md`` through
:mod:`baogong.pharmacy.locks`: the order first, then stock balances, then reservations (the ledger
takes those in primary-key order).

One module per aggregate; callers import the actions from here:

- :mod:`.drugs` — the drug records;
- :mod:`.orders` — placing orders (and the shortage list);
- :mod:`.review` — approve, reject, cancel;
- :mod:`.settlement` — payment, the insurer's settlement file;
- :mod:`.delivery` — dispatch, hand-over, failed delivery;
- :mod:`.batches` — approve, settle, dispatch a batch of orders, confirm a batch of hand-overs;
- :mod:`.handling` — what the steps after placing share.
"""

from __future__ import annotations

from baogong.pharmacy.actions.batches import (
    SettleInput,
    approve_orders,
    confirm_deliveries,
    dispatch_orders,
    settle_orders,
)
from baogong.pharmacy.actions.delivery import confirm_delivery, dispatch_order, record_delivery_failure
from baogong.pharmacy.actions.drugs import DRUG_FIELDS, save_drug
from baogong.pharmacy.actions.handling import DOCUMENT_TYPE
from baogong.pharmacy.actions.orders import (
    PHONE_RE,
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    RESERVE_ATTEMPTS,
    OrderInput,
    check_photo,
    place_order,
    record_drug_demand,
)
from baogong.pharmacy.actions.review import PrescriptionCheck, approve_order, cancel_order, reject_order
from baogong.pharmacy.actions.settlement import SETTLEMENT_COLUMNS, import_settlements, settle_order

__all__ = [
    "DOCUMENT_TYPE",
    "DRUG_FIELDS",
    "PHONE_RE",
    "PHOTO_MAX_BYTES",
    "PHOTO_TYPES",
    "RESERVE_ATTEMPTS",
    "SETTLEMENT_COLUMNS",
    "SettleInput",
    "OrderInput",
    "PrescriptionCheck",
    "approve_order",
    "approve_orders",
    "cancel_order",
    "check_photo",
    "confirm_deliveries",
    "confirm_delivery",
    "dispatch_order",
    "dispatch_orders",
    "import_settlements",
    "place_order",
    "record_delivery_failure",
    "record_drug_demand",
    "reject_order",
    "save_drug",
    "settle_order",
    "settle_orders",
]
