"""Protected personal data: authenticated encryption at rest and keyed hashes for look-ups.

Only the standard library is used. The cipher is HMAC-SHA256 in counter mode (a keyed PRF
stream) with an encrypt-then-MAC HMAC-SHA256 tag over version, nonce and ciphertext; the keys
are derived from ``BAOGONG_FIELD_KEY`` (setting or environment variable) or, failing that,
``SECRET_KEY``. Changing the key makes stored values unreadable, so set ``BAOGONG_FIELD_KEY``
once in production and keep it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from django.conf import settings

VERSION = b"v1"
NONCE_BYTES = 16
TAG_BYTES = 32


class DecryptionFailed(ValueError):
    """The stored value was altered or was written with another key."""


def _master_key() -> bytes:
    key = getattr(settings, "BAOGONG_FIELD_KEY", "") or os.environ.get("BAOGONG_FIELD_KEY", "") or settings.SECRET_KEY
    return str(key).encode()


def _derive(label: str) -> bytes:
    return hmac.new(_master_key(), b"baogong.people:" + label.encode(), hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def encrypt(plaintext: str) -> str:
    """An opaque, authenticated token for ``plaintext`` ('' stays '')."""
    if not plaintext:
        return ""
    data = plaintext.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(_derive("enc"), nonce, len(data)), strict=True))
    tag = hmac.new(_derive("mac"), VERSION + nonce + cipher, hashlib.sha256).digest()
    return VERSION.decode() + ":" + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _sep, body = token.partition(":")
    if version.encode() != VERSION:
        raise DecryptionFailed("unknown version")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError as exc:
        raise DecryptionFailed("not base64") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed("too short")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    expected = hmac.new(_derive("mac"), VERSION + nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise DecryptionFailed("tag mismatch")
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(_derive("enc"), nonce, len(cipher)), strict=True))
    return plain.decode()


def lookup_hash(kind: str, value: str) -> str:
    """A keyed hash of a normalised value: equal values match, the value itself is not stored."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_derive("lookup:" + kind), normalised.encode(), hashlib.sha256).hexdigest()
