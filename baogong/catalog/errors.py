from django.utils.translation import gettext_lazy as _

from baogong.core.errors import NotFound, ValidationFailed


class ItemInvalid(ValidationFailed):
    code = "item_invalid"
    default_message = _("The item is not valid.")


class CategoryNotFound(NotFound):
    code = "category_not_found"
    default_message = _("No such category.")
