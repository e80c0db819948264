"""Reads of reports, dashboards and exports from a read replica (``DATABASE_REPLICA_URL``).

The router sends a read to the ``replica`` alias only inside :func:`replica_reads` (the
:func:`read_from_replica` view decorator), only for Baogong's own models (sessions, users, lockouts
and the task queue always read the primary: a replica a second behind must never log anyone out),
and never inside a transaction on the primary. Every write goes to the primary. A replica that does
not answer is skipped (logged) for :data:`RETRY_AFTER` seconds: the primary is the fallback.
Without ``DATABASE_REPLICA_URL`` nothing changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

REPLICA = "replica"
RETRY_AFTER = 30.0
_reading = contextvars.ContextVar("baogong_replica_reads", default=False)
# Per process on purpose: each process finds out on its own that the replica is down.
_down_until = [0.0]
F = TypeVar("F", bound=Callable[..., Any])


def replica_available() -> bool:
    """Whether the replica is configured and answers (checked at most every RETRY_AFTER seconds
    after a failure)."""
    if REPLICA not in connections.settings or not _routed():
        return False
    if time.monotonic() < _down_until[0]:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        logger.warning("read replica unavailable; reading from the primary", exc_info=True)
        _down_until[0] = time.monotonic() + RETRY_AFTER
        return False
    return True


def _routed() -> bool:
    """Whether the replica router is in use (settings.py adds it with DATABASE_REPLICA_URL): an
    alias alone, without the router, is never read from, so it is not even connected to."""
    from django.conf import settings

    return f"{__name__}.ReplicaRouter" in getattr(settings, "DATABASE_ROUTERS", [])


@contextlib.contextmanager
def replica_reads() -> Iterator[bool]:
    """Within: Baogong's models read from the replica when one answers. Yields whether it does."""
    use = replica_available()
    token = _reading.set(use)
    try:
        yield use
    finally:
        _reading.reset(token)


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Within: every read from the primary, even inside :func:`replica_reads` (what is kept in the
    shared cache under the current generation: a replica behind would give the rows a committed
    change, already bumped, replaced)."""
    token = _reading.set(False)
    try:
        yield
    finally:
        _reading.reset(token)


def read_from_replica(view: F) -> F:
    """A view whose reads (a report, a dashboard, an export) may come from the replica."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class ReplicaRouter:
    """Reads inside :func:`replica_reads` to the replica; everything else to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _reading.get() or not _ours(model):
            return None
        if transaction.get_connection("default").in_atomic_block:
            return None  # read what this transaction wrote
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two doors

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


def _ours(model: type) -> bool:
    return str(model.__module__).startswith("baogong.")
