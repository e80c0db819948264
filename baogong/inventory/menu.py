from django.utils.translation import gettext_lazy as _

MENU = [
    ("inventory:stock_list", _("Stock on hand"), "box-seam", "inventory.view_stockbalance"),
    ("inventory:receive_stock", _("Receive"), "box-arrow-in-down", "inventory.receive_stock"),
    ("inventory:issue_stock", _("Issue"), "box-arrow-up", "inventory.issue_stock"),
    ("inventory:transfer_list", _("Transfers"), "arrow-left-right", "inventory.view_transfer"),
    ("inventory:put_away_list", _("Put away"), "inboxes", "inventory.transfer_stock"),
    ("inventory:stocktake_list", _("Stocktakes"), "clipboard-check", "inventory.view_stocktake"),
    ("inventory:adjustment_list", _("Adjustments"), "sliders", "inventory.view_adjustment"),
    ("inventory:expiry_alerts", _("Expiry alerts"), "hourglass-split", "inventory.view_stockbalance"),
    ("inventory:valuation", _("Stock value"), "currency-yen", "inventory.view_stockbalance"),
    ("inventory:location_list", _("Locations"), "grid-3x3", "inventory.view_location"),
    ("inventory:trace_receive", _("Receive traceability codes"), "upc-scan", "inventory.receive_stock"),
    ("inventory:trace_lookup", _("Traceability codes"), "search", "inventory.view_tracecode"),
]

# Who reviews this app's offline conflicts (core's 离线冲突复核 page): put-aways and counts.
FIELD_REVIEW = ["inventory.transfer_stock", "inventory.approve_stocktake"]
