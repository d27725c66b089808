"""Paper accounts' transport-free facade: create, read, reset, risk limits, and the reports.

Rules: an account belongs to its creator (a trader); the owner reads and changes it, an admin of
the owner's organisation reads it, everybody else gets NOT_FOUND. An account takes the owner's
signals of the strategies and deployments it names, from its creation on. A reset starts the
account over with its cash (the old orders, trades and equity stay stored under the previous
reset count, out of the reports) and keeps following its signals. Risk limits apply to orders
created after the change.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import paper_trading_service_pb2 as messages
from alphintra.strategy.v1 import backtest_pb2
from services.core.backtest.drawdown import drawdown_curves
from services.core.errors import (
    Aborted,
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.core.signals.paper import AccountConfig, daily_pnl
from services.core.signals.paper_metrics import performance
from services.mesh.conversions import metric_values_to_proto
from services.signal_bus.log import Log, LogUnavailable
from services.signal_bus.paper import convert
from services.signal_bus.paper.store import PaperStore, StoredAccount
from services.signal_bus.signals import SIGNALS_TOPIC

RESOURCE = "paper account"
LIMIT_PATHS = ("max_position_fraction", "max_exposure_fraction", "max_daily_loss_fraction")
MAX_DISPLAY_NAME = 200
MAX_REQUEST_ID = 128
MAX_ATTACHED = 100
MAX_ID_LENGTH = 200
DEFAULT_EQUITY_POINTS = 2_000
MAX_EQUITY_POINTS = 100_000
# AccountConfig's names -> the contract's field paths
CONFIG_PATHS = {
    "initial_cash": "account.initial_cash",
    "commission": "account.commission_fraction",
    "slippage": "account.slippage_fraction",
    "max_position_fraction": "account.risk_limits.max_position_fraction",
    "max_exposure_fraction": "account.risk_limits.max_exposure_fraction",
    "max_daily_loss_fraction": "account.risk_limits.max_daily_loss_fraction",
}


def _name(account_id: str) -> str:
    return f"paperAccounts/{account_id}"


@dataclass(frozen=True, slots=True)
class Page:
    items: list
    next_page_token: str


def _config(account: messages.PaperAccount, paths: dict[str, str]) -> AccountConfig:
    limits = account.risk_limits
    try:
        return AccountConfig(
            initial_cash=account.initial_cash,
            commission=account.commission_fraction,
            slippage=account.slippage_fraction,
            allow_short=account.allow_short,
            max_position_fraction=limits.max_position_fraction,
            max_exposure_fraction=limits.max_exposure_fraction,
            max_daily_loss_fraction=limits.max_daily_loss_fraction,
        )
    except InvalidArgument as error:
        raise InvalidArgument(
            error.message,
            [FieldViolation(paths.get(v.field, v.field), v.description) for v in error.violations],
        ) from None


def _attachment_violations(account: messages.PaperAccount) -> list[FieldViolation]:
    violations = []
    if not account.strategy_ids and not account.deployment_ids:
        violations.append(
            FieldViolation("account.strategy_ids", "name a strategy or a deployment whose signals to trade")
        )
    for field in ("strategy_ids", "deployment_ids"):
        values = getattr(account, field)
        if len(values) > MAX_ATTACHED:
            violations.append(FieldViolation(f"account.{field}", f"at most {MAX_ATTACHED}"))
        violations += [
            FieldViolation(f"account.{field}[{index}]", f"1 to {MAX_ID_LENGTH} characters")
            for index, value in enumerate(values)
            if not value.strip() or len(value) > MAX_ID_LENGTH
        ]
    if len(account.display_name) > MAX_DISPLAY_NAME:
        violations.append(FieldViolation("account.display_name", f"at most {MAX_DISPLAY_NAME} characters"))
    return violations


class PaperApp:
    def __init__(
        self,
        store: PaperStore,
        log: Log,
        clock: Callable[[], datetime],
        *,
        namespace: str,
        timeframe: str,
        quota: int,
        on_change: Callable[[], None] = lambda: None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._store = store
        self._log = log
        self._clock = clock
        self._namespace = namespace
        self._timeframe = bar_pb2.Timeframe.Value(f"TIMEFRAME_{timeframe}")
        self._quota = quota
        self._on_change = on_change
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    # -- accounts -----------------------------------------------------------------------------

    async def create(
        self, caller: Caller, account: messages.PaperAccount, request_id: str
    ) -> messages.PaperAccount:
        require_role(caller, Role.TRADER)
        violations = _attachment_violations(account)
        if len(request_id) > MAX_REQUEST_ID:
            violations.append(FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters"))
        try:
            config = _config(account, CONFIG_PATHS)
        except InvalidArgument as error:
            violations = list(error.violations) + violations
        if violations:
            raise InvalidArgument("the paper account cannot be created", violations)
        if request_id:
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is not None:
                return self._retried(earlier, account)
        if await self._store.count(caller.user_id) >= self._quota:
            raise ResourceExhausted(f"at most {self._quota} paper accounts per user; reset one instead")
        try:
            start = await self._log.last_offset(SIGNALS_TOPIC)
        except LogUnavailable as error:
            raise Unavailable(f"the log cannot be read right now ({error})") from None
        stored = await self._store.create(
            StoredAccount(
                id=self._new_id(),
                ownership=Ownership(caller.user_id, caller.organization_id),
                display_name=account.display_name,
                config=config,
                strategy_ids=tuple(account.strategy_ids),
                deployment_ids=tuple(account.deployment_ids),
                timeframe=self._timeframe,
                reset_count=0,
                book=None,
                log_namespace=self._namespace,
                signal_offset=start,
                etag=self._new_id()[:16],
            ),
            request_id or None,
            self._clock(),
        )
        if stored is None:  # a concurrent retry with the same request id won
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is None:
                raise NotFound(RESOURCE, f"request {request_id}")
            return self._retried(earlier, account)
        self._on_change()
        return convert.account_message(stored)

    @staticmethod
    def _retried(earlier: StoredAccount, account: messages.PaperAccount) -> messages.PaperAccount:
        message = convert.account_message(earlier)
        same = (
            message.display_name == account.display_name
            and message.initial_cash == account.initial_cash
            and list(message.strategy_ids) == list(account.strategy_ids)
            and list(message.deployment_ids) == list(account.deployment_ids)
        )
        if not same:
            raise AlreadyExists(RESOURCE, _name(earlier.id), "request_id was used for a different account")
        return message

    async def _readable(self, caller: Caller, account_id: str) -> StoredAccount:
        stored = await self._store.get(account_id) if account_id else None
        if stored is None:
            raise NotFound(RESOURCE, _name(account_id))
        require_readable(caller, stored.ownership, RESOURCE, _name(account_id))
        return stored

    async def get(self, caller: Caller, account_id: str) -> messages.PaperAccount:
        return convert.account_message(await self._readable(caller, account_id))

    async def list(self, caller: Caller, page_size: int, page_token: str) -> Page:
        page = page_request(page_size, page_token, {}, default=50, maximum=100)
        organization = caller.organization_id if caller.role is Role.ADMIN else ""
        stored, last_key = await self._store.list(caller.user_id, organization, page)
        return Page([convert.account_message(item) for item in stored], next_page_token(last_key, {}))

    async def reset(
        self, caller: Caller, account_id: str, initial_cash: float, etag: str
    ) -> messages.PaperAccount:
        require_role(caller, Role.TRADER)
        if not (math.isfinite(initial_cash) and initial_cash >= 0):
            raise InvalidArgument(
                "the reset request is malformed",
                [FieldViolation("initial_cash", "a finite number > 0, or 0 to keep the current one")],
            )
        await self._readable(caller, account_id)
        now = self._clock()

        def change(current: StoredAccount) -> dict[str, object]:
            require_writable(caller, current.ownership, RESOURCE, _name(account_id))
            _check_etag(current, etag)
            return {
                "reset_count": current.reset_count + 1,
                "initial_cash": initial_cash or current.config.initial_cash,
                "book": None,
                "bar_cursors": {},
                "last_reset_time": now,
                "etag": self._new_id()[:16],
            }

        updated = await self._store.change(account_id, change, now)
        if updated is None:
            raise NotFound(RESOURCE, _name(account_id))
        self._on_change()
        return convert.account_message(updated)

    async def update_risk_limits(
        self, caller: Caller, account_id: str, limits: messages.RiskLimits, paths: Sequence[str], etag: str
    ) -> messages.PaperAccount:
        require_role(caller, Role.TRADER)
        violations = [
            FieldViolation(
                f"update_mask.paths[{index}]",
                f"{path!r} is not a risk limit; one of {', '.join(LIMIT_PATHS)}",
            )
            for index, path in enumerate(paths)
            if path not in LIMIT_PATHS
        ]
        if violations:
            raise InvalidArgument("the update request is malformed", violations)
        chosen = list(paths) or list(LIMIT_PATHS)
        await self._readable(caller, account_id)

        def change(current: StoredAccount) -> dict[str, object]:
            require_writable(caller, current.ownership, RESOURCE, _name(account_id))
            _check_etag(current, etag)
            merged = convert.account_message(current)
            for path in chosen:
                setattr(merged.risk_limits, path, getattr(limits, path))
            config = _config(merged, {path: f"risk_limits.{path}" for path in LIMIT_PATHS})
            return {path: getattr(config, path) for path in chosen} | {"etag": self._new_id()[:16]}

        updated = await self._store.change(account_id, change, self._clock())
        if updated is None:
            raise NotFound(RESOURCE, _name(account_id))
        return convert.account_message(updated)

    # -- reports ------------------------------------------------------------------------------

    async def positions(self, caller: Caller, account_id: str) -> list[messages.Position]:
        return convert.positions_message(await self._readable(caller, account_id))

    async def trades(
        self, caller: Caller, account_id: str, symbol: str, page_size: int, page_token: str
    ) -> Page:
        account = await self._readable(caller, account_id)
        filters = {"account": account_id, "epoch": account.reset_count, "symbol": symbol}
        page = page_request(page_size, page_token, filters, default=100, maximum=1000)
        found, last_key = await self._store.trades(account_id, account.reset_count, symbol, page)
        return Page([convert.trade_message(*item) for item in found], next_page_token(last_key, filters))

    async def orders(
        self, caller: Caller, account_id: str, state: int, page_size: int, page_token: str
    ) -> Page:
        account = await self._readable(caller, account_id)
        if state not in messages.OrderState.values():
            raise InvalidArgument("unknown order state", [FieldViolation("state", f"unknown value {state}")])
        filters = {"account": account_id, "epoch": account.reset_count, "state": state}
        page = page_request(page_size, page_token, filters, default=100, maximum=1000)
        found, last_key = await self._store.orders(account_id, account.reset_count, state, page)
        return Page([convert.order_message(item) for item in found], next_page_token(last_key, filters))

    async def performance(
        self, caller: Caller, account_id: str, max_equity_points: int
    ) -> messages.GetPerformanceResponse:
        if not 0 <= max_equity_points <= MAX_EQUITY_POINTS:
            raise InvalidArgument(
                "max_equity_points is out of range",
                [
                    FieldViolation(
                        "max_equity_points", f"0 (meaning {DEFAULT_EQUITY_POINTS}) .. {MAX_EQUITY_POINTS}"
                    )
                ],
            )
        account = await self._readable(caller, account_id)
        points, fills = await self._store.history(account_id, account.reset_count)
        curve, metrics = performance(points, fills, commission_rate=account.config.commission)
        response = messages.GetPerformanceResponse(
            daily_pnl=[
                convert.daily_pnl_message(*day) for day in daily_pnl(points, account.config.initial_cash)
            ]
        )
        if not curve:
            return response
        times = np.array([point.time for point in curve], dtype=np.int64)
        equity = np.array([point.equity for point in curve], dtype=np.float64)
        if metrics is not None:
            response.metrics.CopyFrom(metric_values_to_proto(metrics, times, account.config.initial_cash))
        response.equity_curve.extend(
            _equity_points(times, equity, max_equity_points or DEFAULT_EQUITY_POINTS)
        )
        return response


def _equity_points(times: np.ndarray, equity: np.ndarray, limit: int) -> list[backtest_pb2.EquityPoint]:
    """At most `limit` points, evenly spread, always with the deepest drawdown's."""
    drawdown = drawdown_curves(equity)
    count = len(equity)
    if count <= limit:
        chosen = np.arange(count)
    else:
        trough = int(np.argmax(drawdown))
        chosen = np.unique(
            np.concatenate([np.linspace(0, count - 1, max(limit - 1, 1)).round().astype(int), [trough]])
        )
    return [
        backtest_pb2.EquityPoint(
            bar_index=int(index),
            time=convert.timestamp(times[index]),
            equity=float(equity[index]),
            drawdown=float(drawdown[index]),
        )
        for index in chosen
    ]


def _check_etag(current: StoredAccount, etag: str) -> None:
    if etag and etag != current.etag:
        raise Aborted(
            f"{_name(current.id)} changed since it was read (etag {etag} is stale)", reason="STALE_ETAG"
        )
