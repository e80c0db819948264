"""An .xlsx file in memory, as a user uploads it, for the import tests of every app."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook


def xlsx_file(headers: Sequence[Any], rows: Iterable[Sequence[Any]], name: str = "upload.xlsx") -> io.BytesIO:
    """A workbook of one sheet: the header row, then ``rows`` as given (nothing neutralised or
    converted, so a test can send what a user's spreadsheet holds); rewound and named."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer
