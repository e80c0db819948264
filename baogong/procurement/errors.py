from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed


class SupplierInvalid(ValidationFailed):
    code = "supplier_invalid"
    default_message = _("The supplier has errors.")


class LicenceInvalid(ValidationFailed):
    code = "licence_invalid"
    default_message = _("The licence has errors.")


class SupplierBlacklisted(Conflict):
    code = "supplier_blacklisted"
    default_message = _("This supplier is on the group's blacklist.")


class SupplierNotQualified(Conflict):
    code = "supplier_not_qualified"
    default_message = _("The supplier is not qualified for this.")


class SupplierStatusInvalid(InvalidTransition):
    code = "supplier_status_invalid"
    default_message = _("This status change is not allowed.")


class OrderInvalid(ValidationFailed):
    code = "order_invalid"
    default_message = _("The purchase order has errors.")


class PriceReasonRequired(ValidationFailed):
    code = "price_reason_required"
    default_message = _("A price is above the allowed markup; record a reason.")


class OrderStateInvalid(InvalidTransition):
    code = "order_state_invalid"
    default_message = _("The purchase order is not in a state that allows this.")


class NotAnApprover(PermissionDenied):
    code = "not_an_approver"
    default_message = _("You are not an approver of this order's approval level.")


class ReceiptInvalid(ValidationFailed):
    code = "receipt_invalid"
    default_message = _("The receipt has errors.")


class InspectionInvalid(ValidationFailed):
    code = "inspection_invalid"
    default_message = _("The inspection has errors.")


class LotNotFromSupplier(NotFound):
    code = "lot_not_from_supplier"
    default_message = _("This lot was not received through a purchase order.")
