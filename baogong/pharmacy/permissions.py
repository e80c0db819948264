"""What each role may do in the online pharmacy."""

from baogong.orgs.choices import Role

READ = [
    "pharmacy.view_insurancepolicy",
    "pharmacy.view_drug",
    "pharmacy.view_order",
    "pharmacy.view_prescription",
    "pharmacy.view_settlement",
    "pharmacy.view_feeschedule",
    "pharmacy.view_drugdemand",
]
WORK = [
    "pharmacy.take_phone_order",
    "pharmacy.review_order",
    "pharmacy.settle_order",
    "pharmacy.deliver_order",
]

ROLE_PERMISSIONS = {
    Role.PHARMACIST: [*READ, *WORK],
    Role.COMMAND_CENTRE: [
        *READ,
        *WORK,
        "pharmacy.manage_drugs",
        "pharmacy.add_insurancepolicy",
        "pharmacy.change_insurancepolicy",
        "pharmacy.add_feeschedule",
        "pharmacy.change_feeschedule",
    ],
    Role.AUDITOR: [*READ],
    Role.DRIVER: ["pharmacy.deliver_order"],
}
