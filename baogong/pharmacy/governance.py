"""Insurance policies, fee schedules and drug prices change only when another person approves
(``orgs.governance``)."""

from baogong.orgs.governance import Governed, all_fields
from baogong.pharmacy.models import Drug, FeeSchedule, InsurancePolicy

GOVERNED = [
    Governed(InsurancePolicy, all_fields(InsurancePolicy)),
    Governed(FeeSchedule, all_fields(FeeSchedule)),
    Governed(Drug, ("unit_price",), new_records=False),
]
