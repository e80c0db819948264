from typing import Any

from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, InvalidTransition, ValidationFailed


class QuoteInvalid(ValidationFailed):
    code = "invalid"


class FactsContradict(ValidationFailed):
    """The facts of a quote or an application contradict each other: refused, nothing quoted."""

    code = "facts_contradict"
    default_message = _("The facts given contradict each other; correct them.")

    @classmethod
    def from_rules(cls, contradictions: list[Any], *, prefix: dict[str, str] | None = None) -> "FactsContradict":
        """Field errors (``"中文 / English"``) from :class:`baogong.property.rules.Contradiction` s;
        ``prefix`` nests a field under its part of the request (``{"uscc": "tenant"}``)."""
        details: dict[str, Any] = {}
        for c in contradictions:
            text = f"{c.message} / {c.message_en}"
            part = (prefix or {}).get(c.field)
            target = details.setdefault(part, {}) if part else details
            target.setdefault(c.field, []).append(text)
        return cls(
            "; ".join(c.message for c in contradictions),
            details=details,
        )


class TenantInvalid(ValidationFailed):
    code = "tenant_invalid"
    default_message = _("The tenant has errors.")


class LeaseInvalid(ValidationFailed):
    code = "lease_invalid"
    default_message = _("The lease has errors.")


class LeasesInvalid(LeaseInvalid):
    """Rows of a batch of leases refused: ``rows`` maps each refused row's index to the error the
    per-row action gives it (``TenantInvalid`` or ``LeaseInvalid``); nothing was written."""

    def __init__(self, message: Any = None, *, details: Any = None, rows: dict[int, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.rows = rows or {}


class ApplicationInvalid(ValidationFailed):
    code = "application_invalid"
    default_message = _("The application has errors.")


class DocumentInvalid(ValidationFailed):
    code = "document_invalid"
    default_message = _("The document was not accepted.")


class ApplicationExists(Conflict):
    code = "application_exists"
    default_message = _("This lease already has an open or approved application under this policy.")


class ApplicationNotEligible(Conflict):
    code = "application_not_eligible"
    default_message = _("The application does not meet the policy's conditions.")


class DocumentsMissing(Conflict):
    code = "documents_missing"
    default_message = _("Required documents are missing.")


class ApplicationWrongState(InvalidTransition):
    code = "application_wrong_state"


class PaymentInvalid(ValidationFailed):
    code = "payment_invalid"
    default_message = _("The payment was not accepted.")
