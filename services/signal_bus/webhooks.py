"""Webhooks' transport-free facade: registration, secrets, the delivery log and dead letters.

Rules: an owner's webhooks see the owner's signals (filtered); URLs are https and must not point
into private networks (unless the deployment allows it, as tests and local runs do); a secret is
shown once, at creation or rotation, and a rotated secret keeps signing for an overlap period.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from alphintra.signalbus.v1 import signal_pb2, webhook_service_pb2
from services.core.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.core.signals.filters import SignalFilter
from services.signal_bus.webhook_store import StoredWebhook, WebhookStore

RESOURCE = "webhook"
UPDATABLE_PATHS = ("url", "display_name", "filter", "enabled", "max_attempts")
DEFAULT_MAX_ATTEMPTS = 8
MAX_ATTEMPTS = 20
MAX_URL_LENGTH = 2048
MAX_DISPLAY_NAME = 200
MAX_REQUEST_ID = 128
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 168


def _name(webhook_id: str) -> str:
    return f"webhooks/{webhook_id}"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Page:
    items: list
    next_page_token: str


def _url_shape_violation(url: str, allow_private: bool) -> str:
    if len(url) > MAX_URL_LENGTH:
        return f"at most {MAX_URL_LENGTH} characters"
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        return "must be an https:// URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    return ""


async def url_violations(url: str, path: str, allow_private: bool) -> list[FieldViolation]:
    """https, a host, and (unless allowed) no address in a private, loopback or link-local range."""
    problem = _url_shape_violation(url, allow_private)
    if problem or allow_private:
        return [FieldViolation(path, problem)] if problem else []
    parts = urlsplit(url)
    try:
        resolved = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443)
    except OSError:
        return [FieldViolation(path, f"host {parts.hostname!r} does not resolve")]
    private = [address[0] for *_, address in resolved if not ipaddress.ip_address(address[0]).is_global]
    return [FieldViolation(path, f"resolves to a non-public address ({private[0]})")] if private else []


class WebhookApp:
    def __init__(
        self,
        store: WebhookStore,
        clock: Callable[[], datetime],
        *,
        allow_private_urls: bool,
        quota: int,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._allow_private = allow_private_urls
        self._quota = quota
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    async def _content_violations(self, webhook: webhook_service_pb2.Webhook) -> list[FieldViolation]:
        violations = await url_violations(webhook.url, "webhook.url", self._allow_private)
        if len(webhook.display_name) > MAX_DISPLAY_NAME:
            violations.append(
                FieldViolation("webhook.display_name", f"at most {MAX_DISPLAY_NAME} characters")
            )
        if not 0 <= webhook.max_attempts <= MAX_ATTEMPTS:
            violations.append(
                FieldViolation(
                    "webhook.max_attempts", f"0 (meaning {DEFAULT_MAX_ATTEMPTS}) .. {MAX_ATTEMPTS}"
                )
            )
        try:
            SignalFilter.from_proto(webhook.filter, "webhook.filter")
        except InvalidArgument as error:
            violations += error.violations
        return violations

    async def create(
        self, caller: Caller, webhook: webhook_service_pb2.Webhook, request_id: str
    ) -> tuple[webhook_service_pb2.Webhook, str]:
        require_role(caller, Role.TRADER)
        violations = await self._content_violations(webhook)
        if len(request_id) > MAX_REQUEST_ID:
            violations.append(FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters"))
        if violations:
            raise InvalidArgument("the webhook cannot be created", violations)
        if request_id:
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is not None:
                return self._retried(earlier, webhook)
        if await self._store.count(caller.user_id) >= self._quota:
            raise ResourceExhausted(f"at most {self._quota} webhooks per user; delete one first")
        created = webhook_service_pb2.Webhook()
        created.CopyFrom(webhook)
        created.id = self._new_id()
        created.max_attempts = webhook.max_attempts or DEFAULT_MAX_ATTEMPTS
        secret = new_secret()
        stored = await self._store.create(
            webhook=created,
            ownership=Ownership(caller.user_id, caller.organization_id),
            secret=secret,
            request_id=request_id or None,
            etag=self._new_id()[:16],
            now=self._clock(),
        )
        if stored is None:  # a concurrent retry with the same request id won
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is None:
                raise NotFound(RESOURCE, f"request {request_id}")
            return self._retried(earlier, webhook)
        return stored.webhook, secret

    @staticmethod
    def _retried(
        earlier: StoredWebhook, webhook: webhook_service_pb2.Webhook
    ) -> tuple[webhook_service_pb2.Webhook, str]:
        same = (earlier.webhook.url, earlier.webhook.display_name, earlier.webhook.filter) == (
            webhook.url,
            webhook.display_name,
            webhook.filter,
        )
        if not same:
            raise AlreadyExists(
                RESOURCE, f"request {earlier.webhook.id}", "request_id was used for a different webhook"
            )
        return earlier.webhook, earlier.secret

    async def _readable(self, caller: Caller, webhook_id: str) -> StoredWebhook:
        stored = await self._store.get(webhook_id) if webhook_id else None
        if stored is None:
            raise NotFound(RESOURCE, _name(webhook_id))
        require_readable(caller, stored.ownership, RESOURCE, _name(webhook_id))
        return stored

    async def get(self, caller: Caller, webhook_id: str) -> webhook_service_pb2.Webhook:
        return (await self._readable(caller, webhook_id)).webhook

    async def list(self, caller: Caller, page_size: int, page_token: str) -> Page:
        page = page_request(page_size, page_token, {}, default=50, maximum=100)
        organization = caller.organization_id if caller.role is Role.ADMIN else ""
        stored, last_key = await self._store.list(caller.user_id, organization, page)
        return Page([item.webhook for item in stored], next_page_token(last_key, {}))

    async def update(
        self, caller: Caller, webhook: webhook_service_pb2.Webhook, paths: Sequence[str]
    ) -> webhook_service_pb2.Webhook:
        require_role(caller, Role.TRADER)
        violations = [
            FieldViolation(
                f"update_mask.paths[{index}]",
                f"{path!r} cannot be updated; updatable: {', '.join(UPDATABLE_PATHS)}",
            )
            for index, path in enumerate(paths)
            if path not in UPDATABLE_PATHS
        ]
        if not paths:
            violations.append(FieldViolation("update_mask", "name at least one field to update"))
        if violations:
            raise InvalidArgument("the update request is malformed", violations)
        current = await self._readable(caller, webhook.id)
        merged = webhook_service_pb2.Webhook()
        merged.CopyFrom(current.webhook)
        for path in paths:
            if path == "filter":
                merged.filter.CopyFrom(webhook.filter)
            else:
                setattr(merged, path, getattr(webhook, path))
        problems = await self._content_violations(merged)
        if problems:
            raise InvalidArgument("the webhook cannot be saved", problems)

        def change(locked: StoredWebhook) -> dict[str, object]:
            require_writable(caller, locked.ownership, RESOURCE, _name(webhook.id))
            _check_etag(locked, webhook.etag)
            return {
                "url": merged.url,
                "display_name": merged.display_name,
                "filter": merged.filter.SerializeToString(),
                "enabled": merged.enabled,
                "max_attempts": merged.max_attempts or DEFAULT_MAX_ATTEMPTS,
                "etag": self._new_id()[:16],
            }

        updated = await self._store.update(webhook.id, change, self._clock())
        if updated is None:
            raise NotFound(RESOURCE, _name(webhook.id))
        return updated.webhook

    async def delete(self, caller: Caller, webhook_id: str, etag: str) -> None:
        require_role(caller, Role.TRADER)

        def check(current: StoredWebhook) -> None:
            require_writable(caller, current.ownership, RESOURCE, _name(webhook_id))
            _check_etag(current, etag)

        if not webhook_id or not await self._store.delete(webhook_id, check):
            raise NotFound(RESOURCE, _name(webhook_id))

    async def rotate_secret(
        self, caller: Caller, webhook_id: str, overlap_hours: int
    ) -> tuple[webhook_service_pb2.Webhook, str, datetime]:
        require_role(caller, Role.TRADER)
        if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
            raise InvalidArgument(
                "overlap_hours is out of range",
                [FieldViolation("overlap_hours", f"0 .. {MAX_OVERLAP_HOURS}")],
            )
        expire = self._clock() + timedelta(hours=overlap_hours or DEFAULT_OVERLAP_HOURS)
        secret = new_secret()

        def change(current: StoredWebhook) -> dict[str, object]:
            require_writable(caller, current.ownership, RESOURCE, _name(webhook_id))
            return {
                "secret": secret,
                "previous_secret": current.secret,
                "previous_secret_expire_time": expire,
                "etag": self._new_id()[:16],
            }

        updated = await self._store.update(webhook_id, change, self._clock()) if webhook_id else None
        if updated is None:
            raise NotFound(RESOURCE, _name(webhook_id))
        return updated.webhook, secret, expire

    async def deliveries(
        self, caller: Caller, webhook_id: str, state: int, page_size: int, page_token: str
    ) -> Page:
        await self._readable(caller, webhook_id)
        if state not in webhook_service_pb2.DeliveryState.values():
            raise InvalidArgument(
                "unknown delivery state", [FieldViolation("state", f"unknown value {state}")]
            )
        filters = {"webhook": webhook_id, "state": state}
        page = page_request(page_size, page_token, filters, default=100, maximum=1000)
        found, last_key = await self._store.deliveries(webhook_id, state, page)
        return Page(found, next_page_token(last_key, filters))

    async def dead_letters(self, caller: Caller, webhook_id: str, page_size: int, page_token: str) -> Page:
        await self._readable(caller, webhook_id)
        filters = {"webhook": webhook_id, "dead": True}
        page = page_request(page_size, page_token, filters, default=100, maximum=1000)
        found, last_key = await self._store.dead_letters(webhook_id, page)
        letters = [
            webhook_service_pb2.DeadLetter(delivery=delivery, signal=signal) for delivery, signal in found
        ]
        return Page(letters, next_page_token(last_key, filters))

    async def replay(self, caller: Caller, webhook_id: str, delivery_ids: Sequence[str]) -> list[str]:
        require_role(caller, Role.TRADER)
        current = await self._readable(caller, webhook_id)
        require_writable(caller, current.ownership, RESOURCE, _name(webhook_id))
        if not current.webhook.enabled:
            raise FailedPrecondition(
                f"{_name(webhook_id)} is disabled; enable it before replaying",
                [("DISABLED", _name(webhook_id), "a disabled webhook receives nothing")],
            )
        return await self._store.replay(webhook_id, list(delivery_ids), self._clock())


def _check_etag(current: StoredWebhook, etag: str) -> None:
    if etag and etag != current.webhook.etag:
        raise Aborted(
            f"{_name(current.webhook.id)} changed since it was read (etag {etag} is stale)",
            reason="STALE_ETAG",
        )


def webhook_signals_filter(webhook: webhook_service_pb2.Webhook) -> SignalFilter:
    return SignalFilter.from_proto(
        webhook.filter if webhook.HasField("filter") else signal_pb2.SignalFilter()
    )
