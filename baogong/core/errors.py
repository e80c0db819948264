"""Domain errors. Each carries a stable ``code``, a translated message and field details."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class of every refused action. Views and the API turn it into a clear answer."""

    code = "domain_error"
    status_code = 400
    default_message: Any = _("The action was refused.")

    def __init__(self, message: Any = None, *, details: Any = None, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details if details is not None else {}
        if code:
            self.code = code
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    """Input failed validation; ``details`` maps field names to lists of messages."""

    code = "invalid"
    status_code = 400
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_message = _("The record changed or is in a state that does not allow this.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _("This step is not allowed from the current state.")


def require_text(value: str, error: type[DomainError], message: Any, *, field: str = "reason") -> str:
    """``value`` stripped; when it is blank, the action is refused with ``error`` (``message`` on
    ``field``): ``reason = require_text(reason, OrderInvalid, _("Give the reason."))``."""
    text = value.strip()
    if not text:
        raise error(details={field: [message]})
    return text
