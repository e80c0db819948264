"""What apps above inventory plug into it, filled in their ``AppConfig.ready()``.

Inventory sits below procurement in the import layers, so it never imports procurement; the
procurement app registers its supplier qualification check here instead::

    class ProcurementConfig(AppConfig):
        def ready(self) -> None:
            register_supplier_check(queries.receipt_supplier_problems)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from baogong.catalog.models import Item

# ``check(supplier_ref, supplier_name, items)`` → why goods of ``items`` may not be taken from that
# supplier without a purchase order (empty: a known, qualified supplier for all of them).
SupplierCheck = Callable[[str, str, Sequence["Item"]], list[str]]

SUPPLIER_CHECKS: list[SupplierCheck] = []


def register_supplier_check(check: SupplierCheck) -> None:
    """Add a check that the QC gate (:mod:`baogong.inventory.qc_gate`) asks (once)."""
    if check not in SUPPLIER_CHECKS:
        SUPPLIER_CHECKS.append(check)
