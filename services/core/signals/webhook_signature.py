"""Webhook signatures: how the bus signs a delivery and how a receiver checks one.

Header `X-Alphintra-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (one `v1=`
per secret in use: two while a rotated secret's overlap lasts). The timestamp is inside the MAC,
so a receiver that refuses timestamps far from its clock refuses replays of old deliveries; the
delivery id header lets it drop a retried delivery it already processed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Alphintra-Signature"
DELIVERY_HEADER = "X-Alphintra-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(secret, timestamp, body)}" for secret in secrets)])


def verify(
    header: str, secret: str, body: bytes, now: float, tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """True when `header` carries a v1 signature of `body` by `secret` made within the tolerance of `now`."""
    timestamp: int | None = None
    candidates = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
