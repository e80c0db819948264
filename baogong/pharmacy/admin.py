"""Admin for the configuration tables (policies, fees, drugs); orders change only through actions."""

from django.contrib import admin

from baogong.core.admin import ReadOnlyAdmin
from baogong.orgs.admin import GovernedModelAdmin
from baogong.pharmacy.models import Drug, FeeSchedule, InsurancePolicy, Order, Settlement


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(GovernedModelAdmin):
    list_display = [
        "code",
        "name",
        "valid_from",
        "valid_until",
        "is_default",
        "class_a_eligible_percent",
        "class_b_eligible_percent",
        "pooled_fund_percent",
    ]
    search_fields = ["code", "name"]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(GovernedModelAdmin):
    list_display = ["valid_from", "delivery_fee", "packaging_fee"]


@admin.register(Drug)
class DrugAdmin(GovernedModelAdmin):
    list_display = [
        "item",
        "generic_name",
        "brand_name",
        "approval_number",
        "sale_class",
        "insurance_class",
        "online_ban",
    ]
    list_filter = ["sale_class", "insurance_class", "online_ban", "dosage_form"]
    search_fields = ["generic_name", "brand_name", "approval_number", "item__code"]
    raw_id_fields = ["item"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "pharmacy", "status", "channel", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["number", "basket"]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["order", "method", "transaction_number", "total", "self_pay", "status", "settled_on"]
    list_filter = ["method", "status"]
    search_fields = ["order__number", "transaction_number"]
