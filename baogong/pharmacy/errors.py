from django.utils.translation import gettext_lazy as _

from baogong.core.errors import ValidationFailed


class QuoteInvalid(ValidationFailed):
    code = "invalid"
    default_message = _("Some fields are not valid.")


class PolicyNotFound(ValidationFailed):
    code = "policy_not_found"
    default_message = _("No such insurance policy.")
