"""Money and quantities: Decimal only, rounded half up to the fen only where a rule says so."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(str(value))


def round_fen(value: Decimal) -> Decimal:
    """Round half up to the fen (0.01 yuan)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def fen_str(value: Decimal) -> str:
    return str(round_fen(value))
