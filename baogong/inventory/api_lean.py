"""The issue endpoint's body read and its answer written without building serializers (issue 25).

DRF deep-copies every declared field each time a serializer is made, which for ``IssueIn`` and
``IssueOut`` costs more CPU than the posting itself. :func:`issue_input` accepts only bodies whose
every value is already in the exact form the serializer would produce (strings without
surrounding blanks, whole quantities in range, known keys) and returns what ``IssueIn`` would
validate them to; anything else answers ``None`` and the caller runs ``IssueIn``, so every refusal
keeps the serializer's error body. :func:`issue_body` renders what ``IssueOut`` renders, with one
field instance per type made once (fields are stateless when representing; no business data).
The schema is still ``IssueIn``/``IssueOut`` (``inventory/tests/test_api_lean_body.py`` compares both ways).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from baogong.core.api import MAX_CODE, MAX_QTY

MAX_LINES = 5_000  # IssueIn.lines max_length
MAX_REFERENCE = 128
_DOCUMENT_KEYS = {"warehouse", "recipient", "reference", "lines"}
_LINE_KEYS = {"item", "qty", "lot"}


def _text(value: Any, max_length: int, *, blank: bool = False) -> bool:
    """Whether ``CharField(max_length, allow_blank=blank)`` would take ``value`` unchanged."""
    if type(value) is not str or len(value) > max_length or "\x00" in value:
        return False
    if value != value.strip() or (not value and not blank):
        return False
    try:
        value.encode("utf-8")  # no lone surrogates (the field refuses them)
    except UnicodeEncodeError:
        return False
    return True


def _line(line: Any) -> dict[str, Any] | None:
    if type(line) is not dict or not line.keys() <= _LINE_KEYS or "item" not in line or "qty" not in line:
        return None
    qty = line["qty"]
    if type(qty) is not int or not 1 <= qty <= MAX_QTY or not _text(line["item"], MAX_CODE):
        return None
    out = {"item": line["item"], "qty": qty}
    if "lot" in line:
        if not _text(line["lot"], MAX_CODE, blank=True):
            return None
        out["lot"] = line["lot"]
    return out


def issue_input(data: Any) -> dict[str, Any] | None:
    """What ``IssueIn(data=data)`` validates ``data`` to, when it is plainly valid; else ``None``."""
    if type(data) is not dict or not data.keys() <= _DOCUMENT_KEYS:
        return None
    lines = data.get("lines")
    if type(lines) is not list or not 1 <= len(lines) <= MAX_LINES:
        return None
    if not (_text(data.get("warehouse"), MAX_CODE) and _text(data.get("recipient"), MAX_CODE)):
        return None
    out: dict[str, Any] = {"warehouse": data["warehouse"], "recipient": data["recipient"]}
    if "reference" in data:
        if not _text(data["reference"], MAX_REFERENCE, blank=True):
            return None
        out["reference"] = data["reference"]
    checked = []
    for line in lines:
        value = _line(line)
        if value is None:
            return None
        checked.append(value)
    out["lines"] = checked
    return out


_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_COST = serializers.DecimalField(max_digits=14, decimal_places=4)


def _date(value: Any) -> Any:
    return None if value is None else _DATE.to_representation(value)


def issue_body(
    *,
    pk: int,
    number: str,
    warehouse: str,
    recipient: str,
    reference: str,
    created_at: Any,
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """``IssueOut(...).data`` of these values (``lines`` as ``DocumentLineOut`` takes them)."""
    return {
        "id": int(pk),
        "number": str(number),
        "warehouse": str(warehouse),
        "recipient": str(recipient),
        "reference": str(reference),
        "created_at": _DATETIME.to_representation(created_at),
        "lines": [
            {
                "item": str(line["item"]),
                "lot": str(line["lot"]),
                "expiry": _date(line["expiry"]),
                "location": str(line["location"]),
                "qty": int(line["qty"]),
                "unit_cost": _COST.to_representation(line["unit_cost"]),
            }
            for line in lines
        ],
    }
