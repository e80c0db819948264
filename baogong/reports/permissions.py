from baogong.orgs.choices import Role

ROLE_PERMISSIONS = {
    Role.COMMAND_CENTRE: ["reports.view_reports"],
    Role.AUDITOR: ["reports.view_reports"],
    Role.PROPERTY_OFFICER: ["reports.view_reports"],
    Role.HEALTH_OFFICER: ["reports.view_reports"],
}
