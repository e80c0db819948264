"""Refusals of pharmacy actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed


class QuoteInvalid(ValidationFailed):
    code = "invalid"
    default_message = _("Some fields are not valid.")


class PolicyNotFound(ValidationFailed):
    code = "policy_not_found"
    default_message = _("No such insurance policy.")


class DrugInvalid(ValidationFailed):
    code = "drug_invalid"
    default_message = _("The drug has errors.")


class OrderInvalid(ValidationFailed):
    code = "order_invalid"
    default_message = _("The order has errors; nothing was ordered.")


class DrugBannedOnline(ValidationFailed):
    code = "drug_banned_online"
    default_message = _("This drug may not be sold online.")


class OutOfStock(Conflict):
    """No pharmacy can supply some lines; ``lines`` name them."""

    code = "out_of_stock"
    default_message = _("No pharmacy nearby has enough stock of some drugs; nothing was ordered.")

    def __init__(self, message: Any = None, *, lines: list[dict[str, Any]] | None = None) -> None:
        self.lines = lines or []
        super().__init__(message, details={"lines": self.lines})


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = _("No order with this number and code.")


class OrderStateInvalid(InvalidTransition):
    code = "invalid_transition"
    default_message = _("This step is not allowed for the order in its current state.")


class PrescriptionRefused(ValidationFailed):
    code = "prescription_refused"
    default_message = _("The prescription does not pass the checks.")


class PrescriptionReused(Conflict):
    code = "prescription_reused"
    default_message = _("This prescription has already been used for another order.")


class HandoverCodeWrong(ValidationFailed):
    code = "handover_code_wrong"
    default_message = _("The hand-over code does not match.")


class SettlementInvalid(ValidationFailed):
    code = "settlement_invalid"
    default_message = _("The settlement has errors.")


class AlreadySettled(Conflict):
    code = "already_settled"
    default_message = _("This order is already settled.")
