"""Refusals of stock actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from baogong.core.errors import Conflict, NotFound, ValidationFailed


class InsufficientStock(Conflict):
    """Not enough available stock; ``lines`` say what was asked and what is available."""

    code = "insufficient_stock"
    default_message = _("Not enough stock available; nothing was moved.")

    def __init__(self, message: Any = None, *, lines: list[dict[str, Any]] | None = None) -> None:
        self.lines = lines or []
        super().__init__(message, details={"lines": self.lines})


class LotNotReleased(Conflict):
    code = "lot_not_released"
    default_message = _("The lot is not released by QC or has expired.")


class StockInvalid(ValidationFailed):
    code = "stock_invalid"
    default_message = _("Some fields are not valid.")


class LocationNotFound(NotFound):
    code = "location_not_found"
    default_message = _("No such location.")


class AlreadyReversed(Conflict):
    code = "already_reversed"
    default_message = _("This move has already been reversed.")


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = _("This step is not allowed in the document's current state.")
