"""What each role may do with requests, allocation runs and shipments."""

VIEW = [
    "distribution.view_request",
    "distribution.view_requestline",
    "distribution.view_allocationrun",
    "distribution.view_norm",
    "distribution.view_shipment",
    "distribution.view_deliveryphoto",
]

ROLE_PERMISSIONS = {
    "command_centre": [
        *VIEW,
        "distribution.add_request",
        "distribution.change_request",
        "distribution.submit_request",
        "distribution.approve_request",
        "distribution.cancel_request",
        "distribution.import_requests",
        "distribution.file_for_others",
        "distribution.manage_request_links",
        "distribution.view_requestlink",
        "distribution.run_allocation",
        "distribution.add_norm",
        "distribution.change_norm",
        "distribution.plan_shipment",
        "distribution.pick_shipment",
        "distribution.load_shipment",
        "distribution.dispatch_shipment",
        "distribution.close_shipment",
        "distribution.view_delivery_value",
    ],
    "dispatcher": [
        "distribution.view_request",
        "distribution.view_shipment",
        "distribution.view_deliveryphoto",
        "distribution.plan_shipment",
        "distribution.load_shipment",
        "distribution.dispatch_shipment",
        "distribution.close_shipment",
    ],
    "warehouse_keeper": [
        "distribution.view_request",
        "distribution.view_shipment",
        "distribution.view_deliveryphoto",
        "distribution.pick_shipment",
        "distribution.load_shipment",
    ],
    "auditor": [*VIEW, "distribution.view_requestlink", "distribution.view_delivery_value"],
}
