from baogong.orgs.choices import Role

VIEW = [
    "procurement.view_supplier",
    "procurement.view_supplierlicence",
    "procurement.view_blacklistentry",
    "procurement.view_approvallevel",
    "procurement.view_purchaseorder",
    "procurement.view_purchasereceipt",
    "procurement.view_inspection",
    "procurement.view_counterfeitcase",
    "procurement.view_recall",
]
MANAGE_SUPPLIERS = [
    "procurement.add_supplier",
    "procurement.change_supplier",
    "procurement.add_supplierlicence",
    "procurement.review_supplier",
]
BUY = ["procurement.add_purchaseorder", "procurement.change_purchaseorder", "procurement.add_purchasereceipt"]

ROLE_PERMISSIONS = {
    Role.PROCUREMENT_OFFICER: [*VIEW, *MANAGE_SUPPLIERS, *BUY, "procurement.approve_purchaseorder"],
    Role.QC_INSPECTOR: [
        *VIEW,
        "procurement.add_purchasereceipt",
        "procurement.add_inspection",
        "procurement.mark_counterfeit",
    ],
    Role.COMMAND_CENTRE: [
        *VIEW,
        *MANAGE_SUPPLIERS,
        *BUY,
        "procurement.approve_purchaseorder",
        "procurement.review_emergency_order",
        "procurement.add_inspection",
        "procurement.mark_counterfeit",
        "procurement.add_approvallevel",
        "procurement.change_approvallevel",
        "procurement.add_procurementpolicy",
        "procurement.change_procurementpolicy",
    ],
    Role.AUDITOR: [*VIEW],
}
