"""Argon2id off the event loop: one hash costs ~100 ms of CPU, which would stall every other call.

argon2-cffi releases the GIL while hashing, so a worker thread lets the loop serve other
requests meanwhile.
"""

from __future__ import annotations

import asyncio

from services.core.identity.passwords import PasswordHasher


class Passwords:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._hasher.verify, stored_hash, password)

    async def verify_absent(self, password: str) -> bool:
        return await asyncio.to_thread(self._hasher.verify_absent, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.needs_rehash(stored_hash)
