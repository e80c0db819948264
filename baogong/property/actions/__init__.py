"""Every state change of premises, tenants, leases, the rent roll and relief applications.

One module per aggregate; callers import the actions from here (``from baogong.property import
actions``; ``actions.create_lease(...)``):

- :mod:`.tenants` — premises and tenants;
- :mod:`.leases` — leases, the rent roll (invoices, payments, credit notes set against invoices);
- :mod:`.relief` — relief applications, their review, settlement and top-ups;
- :mod:`.settlement` — relief given: refunds of paid rent and credit notes;
- :mod:`.policies` — the relief policies;
- :mod:`.onboarding` — many tenants and leases at once, checked as one by one, written in bulk;
- :mod:`.submissions` — many relief applications and their documents at once;
- :mod:`.imports` — tenants and leases from a workbook.

Locks go through :mod:`baogong.property.locks`, in the order documented there.
"""

from __future__ import annotations

from baogong.property.actions.documents import upload_tenant_documents
from baogong.property.actions.imports import LEASE_COLUMNS, TENANT_IMPORT_FIELDS, import_leases
from baogong.property.actions.leases import (
    create_lease,
    end_lease,
    issue_invoices,
    lease_periods,
    may_end_lease,
    period_rent,
    record_payment,
)
from baogong.property.actions.onboarding import LeaseRow, create_leases, create_leases_many
from baogong.property.actions.policies import DEFAULT_DOCUMENTS, load_default_policies
from baogong.property.actions.relief import (
    BATCH_STEPS,
    DOCUMENT_EXTENSIONS,
    HELD_REASONS,
    MAX_DOCUMENT_BYTES,
    BatchResult,
    approve_application,
    batch_review,
    check_application,
    handle_application,
    reject_application,
    resubmit_application,
    return_application,
    submit_application,
    top_up_relief,
    upload_document,
    upload_documents,
)
from baogong.property.actions.submissions import submit_applications, upload_documents_many
from baogong.property.actions.tenants import (
    PROPERTY_FIELDS,
    TENANT_FIELDS,
    create_property,
    create_tenant,
    link_portal_user,
)

__all__ = [
    "upload_tenant_documents",
    "BATCH_STEPS",
    "DEFAULT_DOCUMENTS",
    "DOCUMENT_EXTENSIONS",
    "HELD_REASONS",
    "LEASE_COLUMNS",
    "MAX_DOCUMENT_BYTES",
    "PROPERTY_FIELDS",
    "TENANT_FIELDS",
    "TENANT_IMPORT_FIELDS",
    "BatchResult",
    "LeaseRow",
    "approve_application",
    "batch_review",
    "check_application",
    "create_lease",
    "create_leases",
    "create_leases_many",
    "create_property",
    "end_lease",
    "create_tenant",
    "handle_application",
    "import_leases",
    "issue_invoices",
    "lease_periods",
    "link_portal_user",
    "load_default_policies",
    "may_end_lease",
    "period_rent",
    "record_payment",
    "reject_application",
    "resubmit_application",
    "return_application",
    "submit_application",
    "submit_applications",
    "top_up_relief",
    "upload_document",
    "upload_documents",
    "upload_documents_many",
]
