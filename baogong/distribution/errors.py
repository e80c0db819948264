from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed


class RequestInvalid(ValidationFailed):
    code = "request_invalid"
    default_message = _("The request has errors.")


class RequestStateInvalid(InvalidTransition):
    code = "request_state_invalid"
    default_message = _("This step is not allowed in the request's current state.")


class RequestLinkInvalid(NotFound):
    code = "request_link_invalid"
    default_message = _("This request link is not valid or has been revoked.")


class RequestLinkRateLimited(DomainError):
    code = "request_link_rate_limited"
    status_code = 429
    default_message = _("Too many requests through this link; please try again later.")


class AllocationInvalid(ValidationFailed):
    code = "allocation_invalid"
    default_message = _("The allocation run cannot be made.")


class AllocationStale(Conflict):
    code = "allocation_stale"
    default_message = _("Stock or requests changed since the preview; run the allocation again.")


class ShipmentInvalid(ValidationFailed):
    code = "shipment_invalid"
    default_message = _("The shipment has errors.")


class ShipmentStateInvalid(InvalidTransition):
    code = "shipment_state_invalid"
    default_message = _("This step is not allowed in the shipment's current state.")


class DispatchRefused(Conflict):
    code = "dispatch_refused"
    default_message = _("The shipment may not be loaded or dispatched.")


class DeliveryLinkInvalid(NotFound):
    code = "delivery_link_invalid"
    default_message = _("This delivery link is not valid or the shipment is closed.")


class ReplanInvalid(ValidationFailed):
    code = "replan_invalid"
    default_message = _("This warehouse cannot be re-planned.")


class ReplanStale(Conflict):
    code = "replan_stale"
    default_message = _("The re-plan changed since you looked at it; look at it again.")
