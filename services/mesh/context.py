"""What the runtime knows about the call being handled: its request id and caller.

Kept in context variables so that domain code called from a handler, log records and
outgoing calls to other services all see the same request without threading it through
every signature.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "x-request-id"

request_id_var: ContextVar[str] = ContextVar("alphintra_request_id", default="-")


@dataclass(frozen=True, slots=True)
class CallInfo:
    service: str
    method: str


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()
