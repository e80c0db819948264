"""Relief policies change only when another person approves (``orgs.governance``)."""

from baogong.orgs.governance import Governed, all_fields
from baogong.property.models import Policy

GOVERNED = [Governed(Policy, all_fields(Policy))]
