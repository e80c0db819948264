"""What each role may do in the online pharmacy."""

from baogong.orgs.choices import Role

READ = ["pharmacy.view_insurancepolicy"]

ROLE_PERMISSIONS = {
    Role.PHARMACIST: [*READ],
    Role.COMMAND_CENTRE: [*READ, "pharmacy.change_insurancepolicy", "pharmacy.add_insurancepolicy"],
    Role.AUDITOR: [*READ],
}
