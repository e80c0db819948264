from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.orgs.models import AdministrativeArea, Grant, Organisation, Site


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_group_member", "is_active"]
    list_filter = ["kind", "is_group_member"]
    search_fields = ["code", "name"]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "organisation", "area", "status", "priority_tier"]
    list_filter = ["kind", "status", "area"]
    search_fields = ["code", "name", "address"]


@admin.register(Grant)
class GrantAdmin(AuditedModelAdmin):
    list_display = ["user", "is_global", "organisation", "site"]
