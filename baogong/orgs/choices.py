from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COOPERATIVE = "cooperative", _("Supply & marketing cooperative")
    ENTERPRISE = "enterprise", _("Enterprise")
    DEPARTMENT = "department", _("Department")
    GOVERNMENT = "government", _("Government body")
    EXTERNAL = "external", _("External organisation")


class SiteKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    PHARMACY = "pharmacy", _("Pharmacy")
    FUEL_STATION = "fuel_station", _("Fuel station")
    HOTEL = "hotel", _("Hotel")
    ELDERLY_HOME = "elderly_home", _("Elderly home")
    ISOLATION_POINT = "isolation_point", _("Isolation point")
    FIELD_HOSPITAL = "field_hospital", _("Field hospital")
    DELIVERY_POINT = "delivery_point", _("Delivery point")
    GOVERNMENT_BUREAU = "government_bureau", _("Government bureau")
    STREET_OFFICE = "street_office", _("Street/town office")
    FARM_COOPERATIVE = "farm_cooperative", _("Farm cooperative")
    COMMERCIAL_VENUE = "commercial_venue", _("Commercial venue")
    CUSTOMER = "customer", _("Customer")


class SiteStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    UNDER_CONTROL = "under_control", _("Under control")
    LOCKED_DOWN = "locked_down", _("Locked down")
    CLOSED = "closed", _("Closed")


class AreaLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWN = "town", _("Town")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    COMMAND_CENTRE = "command_centre", _("Command centre")
    WAREHOUSE_KEEPER = "warehouse_keeper", _("Warehouse keeper")
    PROCUREMENT_OFFICER = "procurement_officer", _("Procurement officer")
    QC_INSPECTOR = "qc_inspector", _("QC inspector")
    DISPATCHER = "dispatcher", _("Dispatcher")
    DRIVER = "driver", _("Driver")
    FUEL_ATTENDANT = "fuel_attendant", _("Fuel attendant")
    PHARMACIST = "pharmacist", _("Pharmacist")
    HEALTH_OFFICER = "health_officer", _("Health officer")
    PROPERTY_OFFICER = "property_officer", _("Property officer")
    AUDITOR = "auditor", _("Auditor")
    TENANT = "tenant", _("Tenant")
    READ_ONLY = "read_only", _("Read-only")


# Default priority tier of a recipient by site kind (DESIGN.md allocation policy).
DEFAULT_TIER = {
    SiteKind.FIELD_HOSPITAL: 1,
    SiteKind.ELDERLY_HOME: 2,
    SiteKind.ISOLATION_POINT: 2,
    SiteKind.HOTEL: 2,
    SiteKind.GOVERNMENT_BUREAU: 3,
    SiteKind.STREET_OFFICE: 3,
    SiteKind.DELIVERY_POINT: 4,
    SiteKind.FARM_COOPERATIVE: 4,
    SiteKind.COMMERCIAL_VENUE: 5,
    SiteKind.CUSTOMER: 5,
}


class ApprovalKind(models.TextChoices):
    """Documents whose approval has a limit by amount and role (``ApprovalLimit``)."""

    RELIEF = "relief", _("Rent relief")
    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    STOCK_ADJUSTMENT = "stock_adjustment", _("Stock adjustment or write-off")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
