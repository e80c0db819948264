"""Functions one app offers others to call inside the caller's transaction refuse to run outside one."""

from __future__ import annotations

from django.db import transaction


class OutsideTransaction(RuntimeError):
    """An in-transaction function was called outside a transaction (a programming error, not bad input)."""


def require_transaction(what: str) -> None:
    """Refuse to run ``what`` outside ``transaction.atomic()``."""
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(
            f"{what} runs inside the caller's transaction; wrap the call in transaction.atomic() "
            "or use the app's durable action."
        )
