"""The relief policies: the two Shanghai 2022 policies and the documents each asks for."""

from __future__ import annotations

from django.db import transaction

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.property import rules
from baogong.property.models import Policy

DEFAULT_DOCUMENTS = {
    "sh-2022-03": "application,legal_rep_id,business_licence,lease,size_proof,proof",
    "sh-2022-05": "application,legal_rep_id,business_licence,lease,size_proof",
}


@retry_on_conflict
def load_default_policies(*, actor: Actor) -> list[Policy]:
    """The two Shanghai 2022 policies, created if missing (the data migration seeds them too)."""
    made = []
    with transaction.atomic(durable=True):
        for terms in rules.DEFAULT_POLICIES:
            if Policy.objects.filter(code=terms.code).exists():
                continue
            policy = Policy.objects.create(
                code=terms.code,
                name=terms.name,
                effective_from=terms.effective_from,
                effective_to=terms.effective_to,
                base_months=terms.base_months,
                extra_months_with_proof=terms.extra_months_with_proof,
                documents=DEFAULT_DOCUMENTS[terms.code],
            )
            audit.record("load_default_policies", policy, actor=actor, after=audit.snapshot(policy))
            made.append(policy)
    return made
