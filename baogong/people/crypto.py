"""Protected personal data: authenticated encryption at rest and keyed hashes for look-ups.

Values are sealed with AES-256-GCM (the ``cryptography`` package: a vetted AEAD, no home-made
cipher) under a 96-bit random nonce, the version bound in as associated data; look-up hashes are
HMAC-SHA256. The keys are derived (HMAC-SHA256) from ``BAOGONG_FIELD_KEY`` (setting or
environment variable) or, failing that, ``SECRET_KEY``. Changing the key makes stored values unreadable, so set ``BAOGONG_FIELD_KEY``
once in production and keep it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"v2"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionFailed(ValueError):
    """The stored value was altered or was written with another key."""


def _master_key() -> bytes:
    key = getattr(settings, "BAOGONG_FIELD_KEY", "") or os.environ.get("BAOGONG_FIELD_KEY", "") or settings.SECRET_KEY
    return str(key).encode()


def _derive(label: str) -> bytes:
    return hmac.new(_master_key(), b"baogong.people:" + label.encode(), hashlib.sha256).digest()


def encrypt(plaintext: str) -> str:
    """An opaque, authenticated token for ``plaintext`` ('' stays '')."""
    if not plaintext:
        return ""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(_derive("enc")).encrypt(nonce, plaintext.encode(), VERSION)
    return VERSION.decode() + ":" + base64.urlsafe_b64encode(nonce + sealed).decode()


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
    try:
        plain = AESGCM(_derive("enc")).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], VERSION)
    except InvalidTag as exc:
        raise DecryptionFailed("tag mismatch") from exc
    return plain.decode()


def lookup_hash(kind: str, value: str) -> str:
    """A keyed hash of a normalised value: equal values match, the value itself is not stored."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_derive("lookup:" + kind), normalised.encode(), hashlib.sha256).hexdigest()
