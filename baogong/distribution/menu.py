from django.utils.translation import gettext_lazy as _

MENU = [
    ("distribution:request_list", _("Requests"), "inbox", "distribution.view_request"),
    ("distribution:norm_list", _("Per-person norms"), "people", "distribution.view_norm"),
    ("distribution:allocation_home", _("Allocation"), "diagram-2", "distribution.view_allocationrun"),
    ("distribution:shipment_list", _("Shipments"), "truck", "distribution.view_shipment"),
    ("distribution:delivered_value", _("Delivered value"), "bar-chart", "distribution.view_delivery_value"),
]

# Who reviews this app's offline conflicts (core's 离线冲突复核 page): proofs of delivery.
FIELD_REVIEW = ["distribution.dispatch_shipment"]
