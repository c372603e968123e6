"""Secrets at rest: MultiFernet encryption (rotate by adding a key), masking and token hashing."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ioperator.core.config import get_settings

MASK = "••••"


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@functools.cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ValueError("An encryption key is not a valid Fernet key (32 url-safe base64-encoded bytes).") from exc


def fernet() -> MultiFernet:
    return _fernet_for(tuple(get_settings().encryption_keys()))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The stored secret cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored token with the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The stored secret cannot be decrypted with the configured keys.") from exc


def mask(secret: str | None, visible: int = 4) -> str:
    """`••••1234` — never more than the last four characters, nothing at all for short secrets."""
    if not secret:
        return ""
    if len(secret) <= visible * 2:
        return MASK
    return MASK + secret[-visible:]


def generate_key() -> str:
    return Fernet.generate_key().decode()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Session tokens and API keys are stored only as this SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
