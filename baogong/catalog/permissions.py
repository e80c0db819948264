from baogong.orgs.choices import Role

VIEW = ["catalog.view_item", "catalog.view_category", "catalog.view_itemprice"]
EDIT = ["catalog.add_item", "catalog.change_item", "catalog.import_items", "catalog.add_itemprice"]

ROLE_PERMISSIONS = {
    Role.COMMAND_CENTRE: [*VIEW, *EDIT],
    Role.WAREHOUSE_KEEPER: [*VIEW],
    Role.PROCUREMENT_OFFICER: [*VIEW, *EDIT],
    Role.QC_INSPECTOR: [*VIEW],
    Role.DISPATCHER: [*VIEW],
    Role.DRIVER: [*VIEW],
    Role.PHARMACIST: [*VIEW],
    Role.HEALTH_OFFICER: [*VIEW],
    Role.PROPERTY_OFFICER: [],
    Role.AUDITOR: [*VIEW],
    Role.READ_ONLY: [*VIEW],
}
