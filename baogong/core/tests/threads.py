"""Racing threads for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


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
