from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PersonKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    VOLUNTEER = "volunteer", _("Volunteer")
    RESIDENT = "resident", _("Resident")
    GUEST = "guest", _("Guest")


class HealthStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    POSITIVE = "positive", _("Positive")
    CLOSE_CONTACT = "close_contact", _("Close contact")


class TestKind(models.TextChoices):
    ANTIGEN = "antigen", _("Antigen")
    PCR = "pcr", _("PCR")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INVALID = "invalid", _("Invalid")


class TestSource(models.TextChoices):
    OFFICER = "officer", _("Entered by a health officer")
    SELF = "self", _("Self-reported")
    IMPORT = "import", _("Imported")


class DutyType(models.TextChoices):
    SUPPLY = "supply", _("Supply")
    PRODUCTION = "production", _("Production")
    BUSINESS = "business", _("Business operations")
    WATCH = "watch", _("On-duty watch")
    COMMUNITY = "community", _("Community volunteering")
    VOLUNTEER_TEAM = "volunteer_team", _("Dispatched volunteer team")


class Shift(models.TextChoices):
    DAY = "day", pgettext_lazy("shift", "Day")
    NIGHT = "night", _("Night")
    FULL = "full", _("Full day")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SiteControl(models.TextChoices):
    """What a positive case does to the sites it touched (a site's policy, set on its regime)."""

    IMMEDIATE = "immediate", _("Under control at once")
    CONFIRM = "confirm", _("After the health officer confirms")


class IncidentSiteControl(models.TextChoices):
    CONTROLLED = "controlled", _("Under control")
    PENDING = "pending", _("Awaiting confirmation")
    LIFTED = "lifted", _("Control lifted")
    UNCHANGED = "unchanged", _("Status left as it was")


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


class CareLogKind(models.TextChoices):
    WASTE = "waste", _("Waste collection")
    DISINFECTION = "disinfection", _("Disinfection")


class GuestRequestKind(models.TextChoices):
    MEDICINE = "medicine", _("Medicine")
    FOOD = "food", _("Food")
    OTHER = "other", _("Other")


class GuestRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONVERTED = "converted", _("Sent to distribution")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# A body temperature at or above this is a fever (°C).
FEVER_CELSIUS = "37.3"
