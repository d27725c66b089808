"""Webhook signing secrets encrypted at rest: AES-256-GCM with keys from the settings.

A sealed secret reads "aesgcm:<key id>:<base64 of nonce + ciphertext + tag>", so the key it was
sealed with is named beside it and keys can rotate: a new key id becomes the current one (every
secret written from then on uses it) while the old keys stay configured to open what they sealed
until those secrets have been rotated. The associated data binds a ciphertext to its webhook, so
a sealed secret copied into another row does not open there.

Without configured keys the box stores secrets as they are (a local run); a value without the
prefix is read as such a plaintext secret, so enabling encryption needs no migration: each
secret is sealed the next time it is written (created or rotated).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.signal_bus.settings import SignalBusSettings

log = logging.getLogger("alphintra.signal_bus.webhooks")

PREFIX = "aesgcm"
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class SecretUnreadable(Exception):
    """A stored secret cannot be opened: its key is not configured, or it was tampered with."""


class SecretBox:
    def __init__(self, keys: dict[str, bytes], current: str | None) -> None:
        if current is not None and current not in keys:
            raise ValueError(f"the current key id {current!r} is not among the configured keys")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    @classmethod
    def parse(cls, spec: str, current: str = "") -> SecretBox:
        """From "id:base64key,id2:base64key" (32-byte keys); the current key is `current` or the first."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key_id, separator, encoded = item.partition(":")
            if not separator or not KEY_ID.match(key_id):
                raise ValueError("webhook secret keys are 'id:base64key' pairs, ids of [A-Za-z0-9_-]")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise ValueError(f"webhook secret key {key_id!r} is not base64") from None
            if len(key) != 32:
                raise ValueError(f"webhook secret key {key_id!r} must be 32 bytes (AES-256)")
            keys[key_id] = key
        if not keys:
            return cls({}, None)
        return cls(keys, current or next(iter(keys)))

    @property
    def encrypts(self) -> bool:
        return self._current is not None

    def seal(self, secret: str, context: str) -> str:
        if self._current is None:
            return secret
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, secret.encode(), context.encode())
        return f"{PREFIX}:{self._current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, context: str) -> str:
        if not stored.startswith(f"{PREFIX}:"):
            return stored  # written while no key was configured
        _, key_id, payload = stored.split(":", 2)
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise SecretUnreadable(f"webhook secret sealed with key {key_id!r}, which is not configured")
        try:
            raw = base64.b64decode(payload, validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (binascii.Error, InvalidTag, ValueError):
            raise SecretUnreadable(f"a webhook secret sealed with key {key_id!r} does not open") from None


def webhook_secret_box(settings: SignalBusSettings) -> SecretBox:
    """The box the settings describe; without keys it stores plaintext, and says so once at start."""
    keys = settings.webhook_secret_keys
    box = SecretBox.parse(keys.get_secret_value() if keys is not None else "", settings.webhook_secret_key_id)
    if not box.encrypts:
        log.warning("webhook_secret_keys is not set: webhook signing secrets are stored unencrypted")
    return box
