from baogong.orgs.choices import Role

VIEW = [
    "finance.view_mission",
    "finance.view_costline",
    "finance.view_reimbursementclaim",
    "finance.view_claimpayment",
]

ROLE_PERMISSIONS = {
    Role.COMMAND_CENTRE: [
        *VIEW,
        "finance.add_mission",
        "finance.add_costline",
        "finance.approve_costline",
        "finance.manage_claim",
    ],
    Role.AUDITOR: VIEW,
}
