from django.utils.translation import gettext_lazy as _

MENU = [
    ("procurement:supplier_list", _("Suppliers"), "building-check", "procurement.view_supplier"),
    ("procurement:order_list", _("Purchase orders"), "cart-check", "procurement.view_purchaseorder"),
    ("procurement:inspection_list", _("Inspection"), "clipboard2-check", "procurement.view_inspection"),
    ("procurement:recall_list", _("Recalls & trace"), "exclamation-octagon", "procurement.view_recall"),
]
