from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.errors import InvalidTransition, ValidationFailed


class PostInvalid(ValidationFailed):
    code = "post_invalid"
    default_message = _("The post has errors.")


class InspectionInvalid(ValidationFailed):
    code = "inspection_invalid"
    default_message = pgettext_lazy("site inspection", "The inspection has errors.")


class RectificationClosed(InvalidTransition):
    code = "rectification_closed"
    default_message = _("This rectification is already closed.")


class RecipientInvalid(ValidationFailed):
    code = "recipient_invalid"
    default_message = _("The report recipient has errors.")


class DrillInvalid(ValidationFailed):
    code = "drill_invalid"
    default_message = _("The drill has errors.")


class PlaybookStepInvalid(ValidationFailed):
    code = "playbook_step_invalid"
    default_message = _("This playbook step cannot be changed.")
