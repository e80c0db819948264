"""Racing threads for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections

from baogong.core.errors import DomainError


def run_threads(n: int, body: Callable[[int], None]) -> list[BaseException]:
    """Run ``body(i)`` in ``n`` threads released together; return what they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            body(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def run_calls(calls: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Run each call in its own thread, all released together; return what they raised."""
    return run_threads(len(calls), lambda i: calls[i]())


def run_together(
    *calls: Callable[[], object], refused: type[BaseException] | tuple[type[BaseException], ...] = DomainError
) -> list[str]:
    """Run the calls at once; each ends ``"name"`` or ``"name refused"`` (it raised ``refused``, a
    domain refusal). Anything else (a 500 in the API, a deadlock the retry did not absorb) fails
    the test. The outcomes come back sorted."""
    outcomes: list[str] = []

    def body(i: int) -> None:
        call = calls[i]
        try:
            call()
            outcomes.append(call.__name__)
        except refused:
            outcomes.append(f"{call.__name__} refused")

    failures = run_threads(len(calls), body)
    assert failures == []
    return sorted(outcomes)
