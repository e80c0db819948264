from baogong.orgs.choices import Role

VIEW = [
    "command.view_communicationpost",
    "command.view_inspection",
    "command.view_checklisttemplate",
    "command.view_rectification",
]

ROLE_PERMISSIONS = {
    Role.COMMAND_CENTRE: [
        *VIEW,
        "command.add_communicationpost",
        "command.change_communicationpost",
        "command.add_inspection",
        "command.view_reportrecipient",
        "command.add_reportrecipient",
        "command.delete_reportrecipient",
        "command.view_drill",
        "command.run_drill",
        "command.view_playbookstep",
        "command.complete_playbook_step",
    ],
    Role.AUDITOR: [*VIEW, "command.view_reportrecipient", "command.view_drill", "command.view_playbookstep"],
    Role.PROPERTY_OFFICER: [
        "command.view_inspection",
        "command.view_checklisttemplate",
        "command.view_rectification",
        "command.add_inspection",
    ],
    Role.HEALTH_OFFICER: [
        "command.view_inspection",
        "command.view_checklisttemplate",
        "command.view_rectification",
        "command.view_playbookstep",
        "command.complete_playbook_step",
    ],
}
