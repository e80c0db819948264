"""Testing regimes (who stays cleared, when sites go under control) change only when another
person approves (``orgs.governance``)."""

from baogong.orgs.governance import Governed, all_fields
from baogong.people.models import HealthRegime

GOVERNED = [Governed(HealthRegime, all_fields(HealthRegime))]
