"""Incoming-inspection rules change only when another person approves (``orgs.governance``)."""

from baogong.inventory.models import QcRule
from baogong.orgs.governance import Governed, all_fields

GOVERNED = [Governed(QcRule, all_fields(QcRule))]
