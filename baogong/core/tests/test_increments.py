"""core.increments.add_to: ``column = column + n`` for many rows in one statement, as an F() per row."""

from __future__ import annotations

import pytest

from baogong.core import increments
from baogong.core.models import IdempotencyRecord


def _record(key: str, status: int) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        scope="test", key=key, method="POST", path="/", body_hash="x", status_code=status
    )


@pytest.mark.django_db
def test_each_row_gets_its_own_increment_and_the_others_are_untouched(monkeypatch):
    monkeypatch.setattr(increments, "CHUNK", 2)  # several statements
    rows = [_record(f"k{n}", 100 + n) for n in range(5)]
    changed = increments.add_to(
        IdempotencyRecord, "status_code", [(rows[0].pk, 1), (rows[1].pk, 20), (rows[3].pk, 300), (999_999, 5)]
    )
    assert changed == 3  # the unknown id changes nothing
    assert list(IdempotencyRecord.objects.order_by("pk").values_list("status_code", flat=True)) == [
        101,
        121,
        102,
        403,
        104,
    ]
