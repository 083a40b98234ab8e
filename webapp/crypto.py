"""Secrets at rest: OLT communities and SNMPv3 keys are stored encrypted.

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) with keys derived by
HKDF-SHA256 from ``OLTWATCH_ENCRYPTION_KEY`` when it is set, else from ``SECRET_KEY``.
``OLTWATCH_ENCRYPTION_KEY`` may list several keys, comma-separated: the first encrypts, every
one decrypts (MultiFernet), which is how keys are rotated (README: "Secrets at rest").

A stored value reads back as plain text to the code that polls the OLT, and as nothing to
anything that shows it (the admin and the CLI never display secrets). A value that no
configured key decrypts (the key changed without rotation) reads back as a
``SecretUnreadable``: empty, with the reason, so lists still work and a poll fails saying so.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"  # marks an encrypted value (rows written before encryption had none)
_INFO = b"oltwatch secrets at rest v1"


class SecretUnreadable(str):
    """A stored secret that no configured key decrypts: reads as "", keeps the ciphertext."""

    stored: str

    def __new__(cls, stored: str) -> SecretUnreadable:
        self = super().__new__(cls, "")
        self.stored = stored
        return self

    def __repr__(self) -> str:
        return "SecretUnreadable()"


class SecretsKeyError(RuntimeError):
    """No key to encrypt with (no SECRET_KEY and no OLTWATCH_ENCRYPTION_KEY)."""


def configured_keys(config) -> tuple[str, ...]:
    """The key strings, the encrypting one first."""
    listed = config.get("ENCRYPTION_KEY") or ""
    keys = tuple(k.strip() for k in listed.split(",") if k.strip())
    if keys:
        return keys
    if config.get("SECRET_KEY"):
        return (config["SECRET_KEY"],)
    raise SecretsKeyError("no key for the secrets at rest: set SECRET_KEY")


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for key in keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            key.encode()
        )
        fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    if not has_app_context():
        raise SecretsKeyError("secrets at rest need the application's configuration")
    return _fernet(configured_keys(current_app.config))


def encrypt(value: str) -> str:
    """The stored form of a secret."""
    return PREFIX + _current().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The secret of a stored value (a SecretUnreadable when no key decrypts it)."""
    if not stored.startswith(PREFIX):
        return stored  # written before secrets were encrypted (migration 0004 encrypts them)
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except (InvalidToken, ValueError):
        return SecretUnreadable(stored)


def rotate(stored: str) -> str:
    """The stored value re-encrypted with the first key (ValueError if no key reads it)."""
    if not stored:
        return stored
    if not stored.startswith(PREFIX):
        return encrypt(stored)
    try:
        return PREFIX + _current().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ValueError("no configured key decrypts this value") from None


class EncryptedString(TypeDecorator):
    """A String column whose values are stored encrypted (empty stays empty)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, SecretUnreadable):
            return value.stored  # unchanged: a key may still come back
        if not value:
            return value
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if not value:
            return value
        return decrypt(value)
