from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, InvalidTransition, ValidationFailed


class MissionInvalid(ValidationFailed):
    code = "mission_invalid"
    default_message = _("The mission has errors.")


class CostLineInvalid(ValidationFailed):
    code = "cost_line_invalid"
    default_message = _("The cost line has errors.")


class CostLineNotPending(InvalidTransition):
    code = "cost_line_not_pending"
    default_message = _("Only a pending cost line can be approved or rejected.")


class ClaimInvalid(ValidationFailed):
    code = "claim_invalid"
    default_message = _("The reimbursement claim has errors.")


class ClaimWrongStatus(InvalidTransition):
    code = "claim_wrong_status"
    default_message = _("This step is not allowed for the claim's status.")


class PaymentExceedsClaim(Conflict):
    code = "payment_exceeds_claim"
    default_message = _("The payment is more than what is still owed on the claim.")
