from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.fleet.models import Driver, RoutePlan, Vehicle, VehiclePass


@admin.register(Vehicle)
class VehicleAdmin(AuditedModelAdmin):
    list_display = ["plate", "kind", "organisation", "capacity_kg", "cold_chain", "home_depot", "status"]
    list_filter = ["kind", "status", "cold_chain"]
    search_fields = ["plate"]


@admin.register(Driver)
class DriverAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "licence_class", "licence_expiry", "is_active"]
    search_fields = ["name", "licence_number"]


@admin.register(VehiclePass)
class VehiclePassAdmin(AuditedModelAdmin):
    list_display = ["number", "vehicle", "valid_from", "valid_until", "issuing_body", "revoked"]
    search_fields = ["number", "vehicle__plate"]


@admin.register(RoutePlan)
class RoutePlanAdmin(AuditedModelAdmin):
    list_display = ["date", "organisation", "status", "total_km"]
    list_filter = ["status"]
