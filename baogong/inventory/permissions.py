"""What each role may do with stock. Scope (which warehouses) comes from the user's grants."""

from baogong.orgs.choices import Role

VIEW = [
    "inventory.view_stockbalance",
    "inventory.view_stockmove",
    "inventory.view_lot",
    "inventory.view_location",
    "inventory.view_reservation",
    "inventory.view_receipt",
    "inventory.view_issue",
    "inventory.view_transfer",
    "inventory.view_adjustment",
    "inventory.view_stocktake",
    "inventory.view_tracecode",
    "inventory.view_tracesignal",
]
KEEPER = [
    "inventory.receive_stock",
    "inventory.issue_stock",
    "inventory.transfer_stock",
    "inventory.adjust_stock",
    "inventory.count_stock",
    "inventory.add_location",
    "inventory.add_reservation",
    "inventory.change_reservation",
]
MANAGE = [
    "inventory.approve_adjustment",
    "inventory.approve_stocktake",
    "inventory.set_lot_qc_status",
    "inventory.add_stockmove",
]

ROLE_PERMISSIONS = {
    Role.COMMAND_CENTRE: [*VIEW, *KEEPER, *MANAGE],
    Role.WAREHOUSE_KEEPER: [*VIEW, *KEEPER],
    Role.PROCUREMENT_OFFICER: [*VIEW, "inventory.receive_stock"],
    Role.QC_INSPECTOR: [*VIEW, "inventory.set_lot_qc_status"],
    Role.DISPATCHER: [*VIEW, "inventory.add_reservation", "inventory.change_reservation"],
    Role.PHARMACIST: [*VIEW, "inventory.receive_stock", "inventory.issue_stock", "inventory.count_stock"],
    Role.AUDITOR: [*VIEW],
    Role.READ_ONLY: [*VIEW],
}
