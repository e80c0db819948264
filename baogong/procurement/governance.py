"""The procurement rules change only when another person approves (``orgs.governance``)."""

from baogong.orgs.governance import Governed, all_fields
from baogong.procurement.models import ApprovalLevel, ProcurementPolicy

GOVERNED = [Governed(ProcurementPolicy, all_fields(ProcurementPolicy))]
GOVERNED.append(Governed(ApprovalLevel, all_fields(ApprovalLevel) + ("approvers",)))
