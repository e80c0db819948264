from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, ValidationFailed


class VehicleInvalid(ValidationFailed):
    code = "vehicle_invalid"
    default_message = _("The vehicle has errors.")


class DriverInvalid(ValidationFailed):
    code = "driver_invalid"
    default_message = _("The driver has errors.")


class PassInvalid(ValidationFailed):
    code = "pass_invalid"
    default_message = _("The vehicle pass has errors.")


class PlanInvalid(ValidationFailed):
    code = "plan_invalid"
    default_message = _("The route plan has errors.")


class PlanBusy(Conflict):
    code = "plan_busy"
    default_message = _("The plan is being computed; wait until it is done.")


class DispatchRefused(Conflict):
    code = "dispatch_refused"
    default_message = _("The vehicle may not be dispatched.")


class FuelInvalid(ValidationFailed):
    code = "fuel_invalid"
    default_message = _("The fuel station entry has errors.")
