"""Page sizes and opaque page tokens for every List RPC.

A token is a keyset cursor (the sort key of the last item returned) together with a
fingerprint of the query it belongs to, base64url-encoded. Reusing a token with another
filter or order is refused instead of silently returning the wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from services.core.errors import FieldViolation, InvalidArgument

MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    # the sort key of the last item of the previous page; None for the first page
    after: tuple[Any, ...] | None


def _fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def page_request(
    page_size: int, page_token: str, query: dict[str, Any], *, default: int = 20, maximum: int = 100
) -> PageRequest:
    """Validate `page_size` / `page_token` of a List request made with `query` (its filters and order)."""
    if page_size < 0:
        raise InvalidArgument("page_size must not be negative", [FieldViolation("page_size", "must be ≥ 0")])
    size = default if page_size == 0 else min(page_size, maximum)
    if not page_token:
        return PageRequest(size=size, after=None)
    try:
        if len(page_token) > MAX_TOKEN_LENGTH:
            raise ValueError("too long")
        decoded = json.loads(base64.urlsafe_b64decode(page_token.encode() + b"=" * (-len(page_token) % 4)))
        fingerprint, after = decoded["q"], decoded["a"]
        if not isinstance(after, list):
            raise ValueError("bad cursor")
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidArgument(
            "page_token is not a token this list returned",
            [FieldViolation("page_token", f"malformed ({error})")],
        ) from None
    if fingerprint != _fingerprint(query):
        raise InvalidArgument(
            "page_token belongs to a different query",
            [FieldViolation("page_token", "was returned for other filters or another order")],
        )
    return PageRequest(size=size, after=tuple(after))


def next_page_token(last_key: tuple[Any, ...] | None, query: dict[str, Any]) -> str:
    """The token for the page after the one ending at `last_key`; empty when there is none."""
    if last_key is None:
        return ""
    payload = json.dumps({"q": _fingerprint(query), "a": list(last_key)}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
