"""Every state change of procurement: suppliers, licences, orders, receipts, inspections, recalls."""

from __future__ import annotations

from baogong.procurement.actions.counterfeit import lots_from_supplier, mark_lot_counterfeit
from baogong.procurement.actions.inspection import InspectionInput, inspect_lot, inspection_findings, is_antigen_kit
from baogong.procurement.actions.orders import (
    OrderLineInput,
    approve_order,
    cancel_order,
    create_order,
    last_purchase_price,
    reject_order,
    required_levels,
    review_emergency_order,
    submit_order,
    supplier_problems,
    supply_category_of,
)
from baogong.procurement.actions.receipts import ReceiveLineInput, receive_against_order
from baogong.procurement.actions.suppliers import (
    DOCUMENT_EXTENSIONS,
    SUPPLIER_FIELDS,
    add_licence,
    add_licences,
    approve_supplier,
    blacklist_supplier,
    check_document,
    is_blacklisted,
    licence_problems,
    register_supplier,
    suspend_supplier,
    update_supplier,
)

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "InspectionInput",
    "OrderLineInput",
    "ReceiveLineInput",
    "SUPPLIER_FIELDS",
    "add_licence",
    "add_licences",
    "approve_order",
    "approve_supplier",
    "blacklist_supplier",
    "cancel_order",
    "check_document",
    "create_order",
    "inspect_lot",
    "inspection_findings",
    "is_antigen_kit",
    "is_blacklisted",
    "last_purchase_price",
    "licence_problems",
    "lots_from_supplier",
    "mark_lot_counterfeit",
    "receive_against_order",
    "register_supplier",
    "reject_order",
    "required_levels",
    "review_emergency_order",
    "submit_order",
    "supplier_problems",
    "supply_category_of",
    "suspend_supplier",
    "update_supplier",
]
