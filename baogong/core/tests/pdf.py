"""Reading what a PDF really holds, for tests: every Flate stream inflated, embedded fonts listed.

A stream is inflated from just after its ``stream`` keyword with a decompressor that stops at the
end of the compressed data by itself, so the result does not depend on what bytes the compressed
data happens to end with (a regex up to ``endstream`` ate a final carriage-return byte now and then
and lost the object stream that names the fonts: the PDF font test was flaky).
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n")
_DESCRIPTOR = re.compile(rb"<<((?:(?!<<|>>).)*?/Type\s*/FontDescriptor(?:(?!<<|>>).)*)>>", re.S)


def inflate_stream(data: bytes, start: int) -> bytes | None:
    """The inflated content of the Flate stream starting at ``start``, or None if it is not one."""
    decompressor = zlib.decompressobj()
    try:
        content = decompressor.decompress(data[start:])
    except zlib.error:
        return None
    return content if decompressor.eof else None


def inflated(pdf: bytes) -> bytes:
    """The PDF's bytes followed by the content of every Flate stream (object streams included)."""
    parts = [pdf]
    for match in _STREAM.finditer(pdf):
        content = inflate_stream(pdf, match.end())
        if content is not None:
            parts.append(content)
    return b"\n".join(parts)


def embedded_fonts(pdf: bytes) -> set[str]:
    """Names of the fonts whose program is embedded (a FontDescriptor with a FontFile), without the
    subset tag: ``{"WenQuanYi-Zen-Hei-Medium", "DejaVu-Serif"}``."""
    fonts = set()
    for match in _DESCRIPTOR.finditer(inflated(pdf)):
        body = match.group(1)
        name = re.search(rb"/FontName\s*/([^\s/<>\[\]()]+)", body)
        if name and re.search(rb"/FontFile[23]?\s+\d+\s+\d+\s+R", body):
            fonts.add(name.group(1).split(b"+", 1)[-1].decode("latin-1"))
    return fonts


def has_cjk_font(pdf: bytes) -> bool:
    return any(name.startswith(("WenQuanYi", "Noto")) for name in embedded_fonts(pdf))
