from django.utils.translation import gettext_lazy as _

from baogong.core.errors import NotFound, ValidationFailed


class SiteInvalid(ValidationFailed):
    code = "site_invalid"
    default_message = _("The site has errors.")


class SamePerson(ValidationFailed):
    """Separation of duties: the person who made a document may not check or approve it."""

    code = "same_person"
    default_message = _("Another person must check this: you made it.")


class SiteNotFound(NotFound):
    code = "site_not_found"
    default_message = _("No such site.")


class OverApprovalLimit(ValidationFailed):
    """The amount is above what the approver's roles may approve."""

    code = "over_approval_limit"
    default_message = _("The amount is above your approval limit.")


class ChangeInvalid(ValidationFailed):
    code = "change_invalid"
    default_message = _("The change has errors.")
