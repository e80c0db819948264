"""Every state change of requests, norms, request links, allocation runs and shipments.

One module per aggregate (zulip's ``zerver/actions/``); this package re-exports the public names,
so ``from baogong.distribution import actions; actions.file_request(...)`` and
``from baogong.distribution.actions import LineInput`` keep working:

- :mod:`.requests` filing and deciding requests (and ``file_request_in_transaction`` for other apps)
- :mod:`.links` no-login request links
- :mod:`.imports` requests from an Excel sheet
- :mod:`.norms` per-person entitlements
- :mod:`.allocation` allocation runs (preview, confirm, discard)
- :mod:`.shipments` shipments from planning to dispatch, and their closing
- :mod:`.delivery` proof of delivery
- :mod:`.batches` a day's shipments at once (pick, load and dispatch, deliver, close)
- :mod:`.replan` re-planning (重新调配) the open supply of a warehouse that is not normal

Row locks are taken through :mod:`baogong.distribution.locks`, in the order of
``docs/decisions/0003-lock-order.md``.
"""

from baogong.distribution.actions._common import PHONE_RE, LineInput
from baogong.distribution.actions.allocation import (
    BASIS_CAPPED,
    confirm_allocation,
    discard_allocation,
    held_sources,
    preview_allocation,
)
from baogong.distribution.actions.batches import (
    DeliveryInput,
    ShipResult,
    close_shipments,
    pick_shipments,
    record_deliveries,
    ship_shipments,
)
from baogong.distribution.actions.delivery import DeliveryLineInput, record_delivery, shipment_for_delivery
from baogong.distribution.actions.imports import IMPORT_COLUMNS, LOAD_COLUMNS, import_loads, import_requests
from baogong.distribution.actions.links import (
    active_link,
    create_request_link,
    link_rate_limit,
    revoke_request_link,
    submit_via_link,
)
from baogong.distribution.actions.norms import set_norm
from baogong.distribution.actions.replan import Replan, preview_replan, replan_warehouse, source_warehouses
from baogong.distribution.actions.requests import (
    approve_request,
    cancel_request,
    close_request,
    cut_request_line,
    duplicate_warnings,
    file_request,
    file_request_in_transaction,
    reject_request,
    submit_request,
)
from baogong.distribution.actions.shipments import (
    close_shipment,
    dispatch_refusals,
    dispatch_shipment,
    load_shipment,
    merge_shipments,
    pick_shipment,
    plan_shipments,
    split_shipment,
    transport_refusals,
    transport_refusals_many,
)

__all__ = [
    "DeliveryInput",
    "ShipResult",
    "close_shipments",
    "pick_shipments",
    "record_deliveries",
    "ship_shipments",
    "BASIS_CAPPED",
    "IMPORT_COLUMNS",
    "LOAD_COLUMNS",
    "PHONE_RE",
    "DeliveryLineInput",
    "LineInput",
    "active_link",
    "approve_request",
    "cancel_request",
    "close_request",
    "close_shipment",
    "confirm_allocation",
    "create_request_link",
    "cut_request_line",
    "discard_allocation",
    "dispatch_refusals",
    "transport_refusals",
    "transport_refusals_many",
    "dispatch_shipment",
    "duplicate_warnings",
    "file_request",
    "file_request_in_transaction",
    "import_loads",
    "import_requests",
    "link_rate_limit",
    "load_shipment",
    "merge_shipments",
    "pick_shipment",
    "plan_shipments",
    "preview_allocation",
    "held_sources",
    "Replan",
    "preview_replan",
    "replan_warehouse",
    "source_warehouses",
    "record_delivery",
    "reject_request",
    "revoke_request_link",
    "set_norm",
    "shipment_for_delivery",
    "split_shipment",
    "submit_request",
    "submit_via_link",
]
