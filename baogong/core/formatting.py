"""Values as people read them (money with the yuan sign and thousands separators)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def money(amount: Decimal | int | float | str | None) -> str:
    """``¥12,345.60``; an empty amount is "—"."""
    if amount is None or amount == "":
        return "—"
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"
