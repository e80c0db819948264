from django.utils.translation import gettext_lazy as _

MENU = [
    ("pharmacy:order_list", _("Pharmacy orders"), "capsule", "pharmacy.view_order"),
    ("pharmacy:phone_order", _("Phone order"), "telephone", "pharmacy.take_phone_order"),
    ("pharmacy:my_deliveries", _("My deliveries"), "truck", "pharmacy.deliver_order"),
    ("pharmacy:reports", _("Pharmacy reports"), "graph-up", "pharmacy.view_order"),
]

# Who reviews this app's offline conflicts (core's 离线冲突复核 page): couriers' hand-overs.
FIELD_REVIEW = ["pharmacy.deliver_order"]
