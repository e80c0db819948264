"""The lean write path of the ledger primitives on PostgreSQL (issue 25).

A posting is one call of a stored function (migration ``inventory/0006``) that plans FEFO, inserts
the missing destination balances, locks the balances in primary-key order, re-plans on the locked
numbers and writes the balances, the document, its moves and lines and the audit event — one
statement, one round trip, the balance lock taken last. The primitives call it when
:func:`enabled` says so (PostgreSQL and ``settings.BAOGONG_LEDGER_FAST_PATH``, on by default);
otherwise (SQLite, or the setting off) they take their portable path, which gives the same
documents, moves, balances and audit events (``tests/test_fast_path.py`` runs both and compares).

The functions answer what was written, so the API answers without reading the lines again
(``posted_lines`` on the returned document).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from baogong.core.audit import Actor
from baogong.core.context import current_request_id
from baogong.inventory.choices import STOCK_KINDS
from baogong.inventory.ledger.common import IssueLineInput, _actor_fields, shortage
from baogong.inventory.models import Issue, Location
from baogong.orgs.models import Site

PostedLine = dict[str, Any]
"""One line as written: ``{"item": code, "lot": batch, "expiry", "location": code, "qty", "unit_cost"}``."""


def enabled() -> bool:
    """Whether the primitives take the one-statement path (PostgreSQL, unless switched off)."""
    return connection.vendor == "postgresql" and bool(getattr(settings, "BAOGONG_LEDGER_FAST_PATH", True))


def _call(function: str, payload: dict[str, Any]) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s::jsonb)", [json.dumps(payload)])
        value = cursor.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


def issue(
    warehouse: Site,
    recipient: Site,
    destination: Location,
    lines: Sequence[IssueLineInput],
    *,
    actor: Actor,
    reference: str,
) -> Issue:
    """The issue as one statement; raises :class:`InsufficientStock` (nothing written) when short."""
    now = timezone.now()
    who = _actor_fields(actor)
    user = who["actor"]
    payload = {
        "warehouse": warehouse.pk,
        "recipient": recipient.pk,
        "destination": destination.pk,
        "reference": reference[:128],
        "move_reference": reference,
        "audit_reference": reference,
        "actor": user.pk if user is not None else None,
        "actor_label": who["actor_label"],
        "today": timezone.localdate().isoformat(),
        "now": now.isoformat(),
        "local_date": f"{timezone.localdate(now):%Y%m%d}",
        "content_type": ContentType.objects.get_for_model(Issue).pk,
        "request_id": current_request_id(),
        "organisation": warehouse.organisation_id,
        "warehouse_code": warehouse.code,
        "recipient_code": recipient.code,
        "stock_kinds": sorted(str(k) for k in STOCK_KINDS),
        "lines": [
            {
                "item": line.item.pk,
                "code": line.item.code,
                "lot": line.lot.pk if line.lot is not None else None,
                "batch": line.lot.batch if line.lot is not None else None,
                "qty": line.qty,
            }
            for line in lines
        ],
    }
    result = _call("inventory_post_issue", payload)
    if "short" in result:
        raise shortage(result["short"])
    document = Issue(
        pk=result["id"],
        warehouse=warehouse,
        recipient=recipient,
        reference=reference[:128],
        created_at=now,
        created_by=user,
    )
    document._state.adding = False
    document._state.db = connection.alias
    document.posted_lines = posted(result["lines"])  # type: ignore[attr-defined]
    return document


def posted(rows: list[dict[str, Any]]) -> list[PostedLine]:
    """The function's lines with dates and decimals as Python values."""
    return [
        {
            "item": row["item"],
            "lot": row["lot"],
            "expiry": dt.date.fromisoformat(row["expiry"]) if row["expiry"] else None,
            "location": row["location"],
            "qty": int(row["qty"]),
            "unit_cost": Decimal(row["unit_cost"]),
        }
        for row in rows
    ]
