from django.utils.translation import gettext_lazy as _

MENU = [("catalog:item_list", _("Items"), "tags", "catalog.view_item")]
