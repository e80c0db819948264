"""What a scanned code says: GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR), plain GTINs
(EAN-13, EAN-8, UPC-A, GTIN-14) and the 20-digit 药品追溯码 (drug traceability code).

Pure functions, no database: the scanner page sends the decoded text, the server parses it here
and the catalog and inventory match the result against their records. Sources and the rules we
could and could not verify: ``docs/scanning.md``.

A scanner hands over the text in one of these shapes, all accepted:

- with a symbology identifier in front (``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR,
  ``]e0`` GS1 DataBar, ``]E0`` EAN-13);
- variable-length fields ended by the group separator (ASCII 29, what FNC1 becomes), or by the
  text ``<GS>`` some keyboard-wedge scanners send;
- the human-readable form with the AIs in brackets: ``(01)06901234567892(17)271231(10)A123``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

GS = "\x1d"
SYMBOLOGY_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
TRACE_CODE_RE = re.compile(r"^\d{20}$")
TRACE_PRODUCT_PREFIX_LENGTH = 7

# Fixed-length AIs (GS1 General Specifications §3.2, the table of pre-defined lengths): the length
# of the data after the AI. Every other AI is variable and ends at a separator or the end.
FIXED_LENGTH = {
    "00": 18,
    "01": 14,
    "02": 14,
    "11": 6,
    "12": 6,
    "13": 6,
    "15": 6,
    "16": 6,
    "17": 6,
    "20": 2,
}
# Variable-length AIs we read, with their maximum length.
VARIABLE_LENGTH = {"10": 20, "21": 20, "22": 20, "30": 8, "37": 8, "240": 30, "241": 30, "250": 30, "400": 30}
KNOWN_AIS = sorted([*FIXED_LENGTH, *VARIABLE_LENGTH], key=len, reverse=True)


class ScanError(ValueError):
    """The text is not a code we read; ``reason`` is the translated explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Scan:
    """One decoded code: ``kind`` is ``gs1``, ``gtin`` or ``trace_code``."""

    kind: str
    gtin: str = ""
    lot: str = ""
    expiry: dt.date | None = None
    serial: str = ""
    trace_code: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "gtin": self.gtin,
            "lot": self.lot,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "serial": self.serial,
            "trace_code": self.trace_code,
        }


def gs1_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of ``body`` (weights 3, 1, 3 … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(value: str) -> bool:
    """An 8, 12, 13 or 14 digit GTIN whose last digit is its check digit."""
    return value.isdigit() and len(value) in (8, 12, 13, 14) and gs1_check_digit(value[:-1]) == value[-1]


def normalise_gtin(value: str) -> str:
    """A GTIN as 14 digits (EAN-13 ``6901234567892`` → ``06901234567892``)."""
    return value.zfill(14)


def gs1_date(value: str, *, today: dt.date) -> dt.date:
    """A GS1 ``YYMMDD`` date. The century follows the GS1 sliding window (General Specifications
    §7.12): 51–99 years ahead of this year means the last century, 50 or more behind means the
    next one. Day ``00`` means the last day of the month."""
    if not (len(value) == 6 and value.isdigit()):
        raise ScanError(_("The date %(value)s is not six digits (YYMMDD).") % {"value": value})
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:])
    this_century, this_yy = divmod(today.year, 100)
    difference = yy - this_yy
    century = this_century - 1 if difference >= 51 else this_century + 1 if difference <= -50 else this_century
    year = century * 100 + yy
    if not 1 <= month <= 12:
        raise ScanError(_("The date %(value)s has no month %(month)s.") % {"value": value, "month": month})
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ScanError(_("The date %(value)s does not exist.") % {"value": value}) from exc


def _strip(text: str) -> str:
    text = text.strip().replace("<GS>", GS).replace("<gs>", GS)
    if SYMBOLOGY_RE.match(text):
        text = text[3:]
    return text.lstrip(GS)


def _bracketed(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for ai, value in re.findall(r"\((\d{2,4})\)([^(]*)", text):
        fields[ai] = value.strip()
    return fields


def _element_string(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    rest = text
    while rest:
        ai = next((a for a in KNOWN_AIS if rest.startswith(a)), None)
        if ai is None:
            raise ScanError(_("Unknown GS1 application identifier at “%(rest)s”.") % {"rest": rest[:8]})
        rest = rest[len(ai) :]
        if ai in FIXED_LENGTH:
            size = FIXED_LENGTH[ai]
            value, rest = rest[:size], rest[size:]
            if len(value) != size:
                raise ScanError(_("GS1 field (%(ai)s) is too short.") % {"ai": ai})
        else:
            value, _sep, rest = rest.partition(GS)
            if len(value) > VARIABLE_LENGTH[ai]:
                raise ScanError(_("GS1 field (%(ai)s) is too long.") % {"ai": ai})
        rest = rest.lstrip(GS)
        fields[ai] = value
    return fields


def _from_fields(fields: dict[str, str], *, today: dt.date) -> Scan:
    gtin = fields.get("01", "") or fields.get("02", "")
    if gtin and not is_valid_gtin(gtin):
        raise ScanError(_("The GTIN %(gtin)s fails its check digit.") % {"gtin": gtin})
    expiry = gs1_date(fields["17"], today=today) if "17" in fields else None
    return Scan(
        kind="gs1",
        gtin=gtin,
        lot=fields.get("10", ""),
        expiry=expiry,
        serial=fields.get("21", ""),
        fields=fields,
    )


def parse(text: str, *, today: dt.date) -> Scan:
    """What ``text`` (as a scanner decoded it) says; :class:`ScanError` when it is none of the
    shapes above."""
    raw = _strip(text or "")
    if not raw:
        raise ScanError(_("Nothing was scanned."))
    if raw.startswith("("):
        fields = _bracketed(raw)
        if not fields:
            raise ScanError(_("No GS1 field found."))
        return _from_fields(fields, today=today)
    if TRACE_CODE_RE.match(raw):
        return Scan(kind="trace_code", trace_code=raw)
    if raw.isdigit() and len(raw) in (8, 12, 13, 14):
        if not is_valid_gtin(raw):
            raise ScanError(_("The barcode %(code)s fails its check digit.") % {"code": raw})
        return Scan(kind="gtin", gtin=normalise_gtin(raw))
    if raw[:2].isdigit() and (GS in raw or raw[:2] in ("01", "02")):
        return _from_fields(_element_string(raw), today=today)
    raise ScanError(
        _("“%(text)s” is neither a GS1 barcode, an EAN barcode nor a drug traceability code.") % {"text": raw[:40]}
    )


def check_trace_code(value: str) -> str:
    """The 20-digit drug traceability code with spaces removed; :class:`ScanError` when it is not
    20 digits. Its last digits are a check code whose algorithm is not published (see
    ``docs/scanning.md``): the code is checked against what was received, not computed."""
    code = re.sub(r"\s", "", value or "")
    if not TRACE_CODE_RE.match(code):
        raise ScanError(_("A drug traceability code is 20 digits; “%(code)s” is not.") % {"code": code[:40]})
    return code


def trace_product_prefix(code: str) -> str:
    """The product identifier: the first seven digits (the drug, its form, strength and pack)."""
    return code[:TRACE_PRODUCT_PREFIX_LENGTH]
