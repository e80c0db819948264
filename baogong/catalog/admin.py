from django.contrib import admin

from baogong.catalog.models import Category, Item, ItemPrice
from baogong.core.admin import AuditedModelAdmin
from baogong.orgs.admin import GovernedModelAdmin


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "regulatory_kind"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Item)
class ItemAdmin(GovernedModelAdmin):
    list_display = ["code", "name", "category", "unit", "reference_price", "storage", "is_active"]
    list_filter = ["category", "storage", "is_active"]
    search_fields = ["code", "name", "name_en", "regulatory_number"]


@admin.register(ItemPrice)
class ItemPriceAdmin(AuditedModelAdmin):
    list_display = ["item", "date", "price", "source"]
    search_fields = ["item__code", "source"]
