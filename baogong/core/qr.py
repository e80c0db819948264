"""QR codes (segno) as inline SVG or PNG data URIs for pages and PDFs."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str, *, scale: int = 4) -> str:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def qr_png_data_uri(data: str, *, scale: int = 5) -> str:
    return segno.make(data, error="m").png_data_uri(scale=scale)
