from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VehicleKind(models.TextChoices):
    VAN = "van", _("Van")
    LIGHT_TRUCK = "light_truck", _("Light truck")
    HEAVY_TRUCK = "heavy_truck", _("Heavy truck")
    REFRIGERATED = "refrigerated", _("Refrigerated truck")
    TANKER = "tanker", _("Tanker")
    CAR = "car", _("Car")


class VehicleStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("vehicle status", "Active")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


class LicenceClass(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


# Which licence classes may drive which vehicle kinds (GB licence classes, simplified).
LICENCE_ALLOWS = {
    VehicleKind.CAR: {"A1", "A2", "B1", "B2", "C1", "C2"},
    VehicleKind.VAN: {"A1", "A2", "B1", "B2", "C1"},
    VehicleKind.LIGHT_TRUCK: {"A2", "B2", "C1"},
    VehicleKind.REFRIGERATED: {"A2", "B2", "C1"},
    VehicleKind.HEAVY_TRUCK: {"A2", "B2"},
    VehicleKind.TANKER: {"A2", "B2"},
}


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PLANNING = "planning", _("Planning")
    PLANNED = "planned", pgettext_lazy("route", "Planned")
    ACCEPTED = "accepted", _("Accepted")
    FAILED = "failed", _("Failed")


class ShiftSlot(models.TextChoices):
    NIGHT = "00-08", _("00:00–08:00")
    DAY = "08-16", _("08:00–16:00")
    EVENING = "16-24", _("16:00–24:00")


def slot_of(hour: int) -> str:
    return ShiftSlot.NIGHT if hour < 8 else ShiftSlot.DAY if hour < 16 else ShiftSlot.EVENING
