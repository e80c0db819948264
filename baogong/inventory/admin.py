"""Stock is changed only by actions: the admin shows the ledger read-only (locations are editable)."""

from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin, ReadOnlyAdmin
from baogong.inventory.models import Location, Lot, QcRule, StockBalance, StockMove
from baogong.orgs.admin import GovernedModelAdmin


@admin.register(Location)
class LocationAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "site", "kind", "parent", "is_default", "is_active"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "site__code"]


@admin.register(QcRule)
class QcRuleAdmin(GovernedModelAdmin):
    """Which categories' goods are held for incoming inspection (edits audited)."""

    list_display = ["category", "policy", "updated_at"]
    list_filter = ["policy"]
    search_fields = ["category__code", "category__name"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["item", "batch", "expiry", "qc_status", "unit_cost", "supplier_name"]
    list_filter = ["qc_status"]
    search_fields = ["batch", "item__code"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["at", "item", "lot", "from_location", "to_location", "qty", "reason", "reference", "actor_label"]
    list_filter = ["reason"]
    search_fields = ["reference", "item__code", "lot__batch"]


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["location", "item", "lot", "on_hand", "reserved"]
    search_fields = ["item__code", "lot__batch", "location__code"]
