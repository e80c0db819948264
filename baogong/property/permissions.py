"""What each role may do in the property app (merged into the role table by ``sync_roles``)."""

MODELS = [
    "property",
    "unit",
    "tenant",
    "lease",
    "rentfreeperiod",
    "invoice",
    "payment",
    "reliefapplication",
    "applicationdocument",
    "tenantdocument",
    "reliefcredit",
    "policy",
]
VIEW_ALL = [f"property.view_{m}" for m in MODELS]
OFFICER = [
    *VIEW_ALL,
    *(f"property.add_{m}" for m in MODELS if m != "policy"),
    *(f"property.change_{m}" for m in ["property", "unit", "tenant", "lease", "reliefapplication"]),
    "property.import_leases",
    "property.manage_rent_roll",
    "property.handle_reliefapplication",
    "property.check_reliefapplication",
    "property.approve_reliefapplication",
    "property.top_up_relief",
]

ROLE_PERMISSIONS = {
    "property_officer": OFFICER,
    "command_centre": [*OFFICER, "property.change_policy"],
    "auditor": VIEW_ALL,
    "tenant": [
        "property.view_tenant",
        "property.view_lease",
        "property.view_invoice",
        "property.view_reliefapplication",
        "property.add_reliefapplication",
        "property.view_applicationdocument",
        "property.add_applicationdocument",
        "property.view_tenantdocument",
        "property.add_tenantdocument",
    ],
}
