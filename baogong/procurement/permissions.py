from baogong.orgs.choices import Role

VIEW = [
    "procurement.view_supplier",
    "procurement.view_supplierlicence",
    "procurement.view_blacklistentry",
    "procurement.view_approvallevel",
    "procurement.view_recall",
]
MANAGE_SUPPLIERS = [
    "procurement.add_supplier",
    "procurement.change_supplier",
    "procurement.add_supplierlicence",
    "procurement.review_supplier",
]

ROLE_PERMISSIONS = {
    Role.PROCUREMENT_OFFICER: [*VIEW, *MANAGE_SUPPLIERS],
    Role.QC_INSPECTOR: [*VIEW, "procurement.mark_counterfeit"],
    Role.COMMAND_CENTRE: [
        *VIEW,
        *MANAGE_SUPPLIERS,
        "procurement.mark_counterfeit",
        "procurement.change_approvallevel",
        "procurement.add_approvallevel",
        "procurement.change_procurementpolicy",
        "procurement.add_procurementpolicy",
    ],
    Role.AUDITOR: [*VIEW],
}
