"""Retry an action whose transaction lost a lock race (PostgreSQL deadlock or serialization failure).

Every action is one durable transaction, so a transaction the database aborted wrote nothing, and
its audit events went with it: running the action again is safe, and the event is recorded once,
by the attempt that commits. Locks follow one order (``docs/decisions/0003-lock-order.md``), which
makes these rare; this is what stops the rare one from reaching a user as a 500.

A unique violation is retried too, once: two people creating the same code at the same moment
both pass the action's own "already used" check, and the second insert fails on the unique
index. Run again, the action's check sees the committed row and answers with its field error
(instead of the database's error reaching the user as a 500).

Only the outermost call retries: inside another transaction the error goes up to that
transaction's own boundary (an aborted transaction cannot go on).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, IntegrityError, transaction

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 5
# PostgreSQL SQLSTATEs: deadlock_detected, serialization_failure, lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
UNIQUE_VIOLATION = "23505"
UNIQUE_ATTEMPTS = 2
logger = logging.getLogger("baogong.retry")


def is_lock_conflict(exc: BaseException) -> bool:
    """The database aborted the transaction because of another one: trying again can succeed."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)  # SQLite, past its busy timeout


def is_unique_violation(exc: BaseException) -> bool:
    """Another transaction committed the same unique value first."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(exc)  # SQLite


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` (an action that opens its own durable transaction) again when the database
    aborted it for a lock conflict (up to five attempts, with a short random back-off) or because
    another transaction committed the same unique value first (once: its own checks answer)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        attempt = unique_tries = 1
        while True:
            try:
                return func(*args, **kwargs)
            except IntegrityError as exc:
                if unique_tries >= UNIQUE_ATTEMPTS or not is_unique_violation(exc):
                    raise
                logger.warning("%s: unique value taken meanwhile, checking again: %s", func.__qualname__, exc)
                unique_tries += 1
            except DatabaseError as exc:
                if attempt >= ATTEMPTS or not is_lock_conflict(exc):
                    raise
                logger.warning("%s: lock conflict, attempt %d of %d: %s", func.__qualname__, attempt, ATTEMPTS, exc)
                time.sleep(random.uniform(0.005, 0.02 * 2**attempt))  # noqa: S311 - jitter, not security
                attempt += 1

    return wrapper
