"""Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP, section 4.14).

Each refresh returns a new refresh token and retires the one presented; all tokens of one
sign-in form a session. A retired token presented again means two parties hold the
session — the user and a thief, and we cannot tell which is which — so the whole session
is revoked and both must sign in again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class RefreshOutcome(StrEnum):
    ROTATE = "rotate"
    # presented after it was already exchanged: revoke the session
    REUSED = "reused"
    EXPIRED = "expired"
    REVOKED = "revoked"


def refresh_outcome(
    *, rotate_time: datetime | None, revoke_time: datetime | None, expire_time: datetime, now: datetime
) -> RefreshOutcome:
    if revoke_time is not None:
        return RefreshOutcome.REVOKED
    if rotate_time is not None:
        return RefreshOutcome.REUSED
    if now >= expire_time:
        return RefreshOutcome.EXPIRED
    return RefreshOutcome.ROTATE
