"""The issue endpoint on the process's copies of the shared cache (issue 25): one round trip."""

from __future__ import annotations

from baogong.core.tests import test_authz_copies

counted = test_authz_copies.counted  # the fixture: the shared cache on, its reads counted

RECEIPTS = "/api/v1/inventory/receipts/"
ISSUES = "/api/v1/inventory/issues/"


def test_an_issue_reads_the_shared_cache_once(counted, api_for, water, django_capture_on_commit_callbacks):
    api = api_for("warehouse")
    body = {"warehouse": "WH-TXQ", "lines": [{"item": "WATER", "lot": "W1", "qty": 10, "unit_cost": "24.00"}]}
    assert api.post(RECEIPTS, body, format="json").status_code == 201
    issue = {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "WATER", "qty": 1}]}
    for _ in range(2):  # the first makes the recipient location; lookups are kept once committed
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post(ISSUES, issue, format="json").status_code == 201
    before = counted.reads
    assert api.post(ISSUES, issue, format="json").status_code == 201
    assert counted.reads - before == 1
