from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, ValidationFailed


class PersonInvalid(ValidationFailed):
    code = "person_invalid"
    default_message = _("The person has errors.")


class HealthTestInvalid(ValidationFailed):
    code = "health_test_invalid"
    default_message = _("The test has errors.")


class RegimeInvalid(ValidationFailed):
    code = "regime_invalid"
    default_message = _("The testing regime has errors.")


class ClosedLoopInvalid(ValidationFailed):
    code = "closed_loop_invalid"
    default_message = _("The closed-loop record has errors.")


class PersonNotCleared(Conflict):
    code = "person_not_cleared"
    default_message = _("This person may not be dispatched.")


class DeploymentInvalid(ValidationFailed):
    code = "deployment_invalid"
    default_message = _("The deployment has errors.")


class OccupancyInvalid(ValidationFailed):
    code = "occupancy_invalid"
    default_message = _("The record has errors.")


class IncidentInvalid(ValidationFailed):
    code = "incident_invalid"
    default_message = _("The incident action has errors.")


class IncidentStateInvalid(Conflict):
    code = "incident_state_invalid"
    default_message = _("The incident's site is not in a state that allows this.")
