import datetime

from alphintra.signalbus.v1 import signal_pb2 as _signal_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_SIDE_UNSPECIFIED: _ClassVar[OrderSide]
    ORDER_SIDE_BUY: _ClassVar[OrderSide]
    ORDER_SIDE_SELL: _ClassVar[OrderSide]

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_PENDING: _ClassVar[OrderState]
    ORDER_STATE_FILLED: _ClassVar[OrderState]
    ORDER_STATE_REFUSED: _ClassVar[OrderState]
    ORDER_STATE_EXPIRED: _ClassVar[OrderState]
    ORDER_STATE_CANCELLED: _ClassVar[OrderState]
ORDER_SIDE_UNSPECIFIED: OrderSide
ORDER_SIDE_BUY: OrderSide
ORDER_SIDE_SELL: OrderSide
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_PENDING: OrderState
ORDER_STATE_FILLED: OrderState
ORDER_STATE_REFUSED: OrderState
ORDER_STATE_EXPIRED: OrderState
ORDER_STATE_CANCELLED: OrderState

class RiskLimits(_message.Message):
    __slots__ = ("max_position_fraction", "max_exposure_fraction", "max_daily_loss_fraction")
    MAX_POSITION_FRACTION_FIELD_NUMBER: _ClassVar[int]
    MAX_EXPOSURE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    MAX_DAILY_LOSS_FRACTION_FIELD_NUMBER: _ClassVar[int]
    max_position_fraction: float
    max_exposure_fraction: float
    max_daily_loss_fraction: float
    def __init__(self, max_position_fraction: _Optional[float] = ..., max_exposure_fraction: _Optional[float] = ..., max_daily_loss_fraction: _Optional[float] = ...) -> None: ...

class PaperAccount(_message.Message):
    __slots__ = ("name", "id", "owner_id", "display_name", "initial_cash", "cash", "equity", "commission_fraction", "slippage_fraction", "strategy_ids", "deployment_ids", "risk_limits", "allow_short", "reset_count", "trading_halted", "etag", "create_time", "update_time", "last_reset_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CASH_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FRACTION_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_IDS_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    RISK_LIMITS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_SHORT_FIELD_NUMBER: _ClassVar[int]
    RESET_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRADING_HALTED_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    display_name: str
    initial_cash: float
    cash: float
    equity: float
    commission_fraction: float
    slippage_fraction: float
    strategy_ids: _containers.RepeatedScalarFieldContainer[str]
    deployment_ids: _containers.RepeatedScalarFieldContainer[str]
    risk_limits: RiskLimits
    allow_short: bool
    reset_count: int
    trading_halted: bool
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    last_reset_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., initial_cash: _Optional[float] = ..., cash: _Optional[float] = ..., equity: _Optional[float] = ..., commission_fraction: _Optional[float] = ..., slippage_fraction: _Optional[float] = ..., strategy_ids: _Optional[_Iterable[str]] = ..., deployment_ids: _Optional[_Iterable[str]] = ..., risk_limits: _Optional[_Union[RiskLimits, _Mapping]] = ..., allow_short: _Optional[bool] = ..., reset_count: _Optional[int] = ..., trading_halted: _Optional[bool] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("symbol", "quantity", "average_price", "market_price", "market_value", "unrealized_pnl", "realized_pnl", "open_time", "update_time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: float
    average_price: float
    market_price: float
    market_value: float
    unrealized_pnl: float
    realized_pnl: float
    open_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[float] = ..., average_price: _Optional[float] = ..., market_price: _Optional[float] = ..., market_value: _Optional[float] = ..., unrealized_pnl: _Optional[float] = ..., realized_pnl: _Optional[float] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaperOrder(_message.Message):
    __slots__ = ("id", "signal_id", "strategy_id", "symbol", "side", "quantity", "order_type", "time_in_force", "limit_price", "stop_price", "state", "refusal_reason", "fill_price", "create_time", "fill_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_REASON_FIELD_NUMBER: _ClassVar[int]
    FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FILL_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    signal_id: str
    strategy_id: str
    symbol: str
    side: OrderSide
    quantity: float
    order_type: _signal_pb2.OrderType
    time_in_force: _signal_pb2.TimeInForce
    limit_price: float
    stop_price: float
    state: OrderState
    refusal_reason: str
    fill_price: float
    create_time: _timestamp_pb2.Timestamp
    fill_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., signal_id: _Optional[str] = ..., strategy_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., quantity: _Optional[float] = ..., order_type: _Optional[_Union[_signal_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_signal_pb2.TimeInForce, str]] = ..., limit_price: _Optional[float] = ..., stop_price: _Optional[float] = ..., state: _Optional[_Union[OrderState, str]] = ..., refusal_reason: _Optional[str] = ..., fill_price: _Optional[float] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fill_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaperTrade(_message.Message):
    __slots__ = ("id", "order_id", "signal_id", "symbol", "side", "quantity", "price", "commission", "slippage_cost", "realized_pnl", "time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_COST_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    order_id: str
    signal_id: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    commission: float
    slippage_cost: float
    realized_pnl: float
    time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., order_id: _Optional[str] = ..., signal_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[OrderSide, str]] = ..., quantity: _Optional[float] = ..., price: _Optional[float] = ..., commission: _Optional[float] = ..., slippage_cost: _Optional[float] = ..., realized_pnl: _Optional[float] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DailyPnl(_message.Message):
    __slots__ = ("date", "pnl", "return_fraction", "end_equity")
    DATE_FIELD_NUMBER: _ClassVar[int]
    PNL_FIELD_NUMBER: _ClassVar[int]
    RETURN_FRACTION_FIELD_NUMBER: _ClassVar[int]
    END_EQUITY_FIELD_NUMBER: _ClassVar[int]
    date: str
    pnl: float
    return_fraction: float
    end_equity: float
    def __init__(self, date: _Optional[str] = ..., pnl: _Optional[float] = ..., return_fraction: _Optional[float] = ..., end_equity: _Optional[float] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("account", "request_id")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account: PaperAccount
    request_id: str
    def __init__(self, account: _Optional[_Union[PaperAccount, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: PaperAccount
    def __init__(self, account: _Optional[_Union[PaperAccount, _Mapping]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: PaperAccount
    def __init__(self, account: _Optional[_Union[PaperAccount, _Mapping]] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[PaperAccount]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[PaperAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResetAccountRequest(_message.Message):
    __slots__ = ("account_id", "initial_cash", "etag")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CASH_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    initial_cash: float
    etag: str
    def __init__(self, account_id: _Optional[str] = ..., initial_cash: _Optional[float] = ..., etag: _Optional[str] = ...) -> None: ...

class ResetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: PaperAccount
    def __init__(self, account: _Optional[_Union[PaperAccount, _Mapping]] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ...) -> None: ...

class ListTradesRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token", "symbol")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    symbol: str
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class ListTradesResponse(_message.Message):
    __slots__ = ("trades", "next_page_token")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[PaperTrade]
    next_page_token: str
    def __init__(self, trades: _Optional[_Iterable[_Union[PaperTrade, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token", "state")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    state: OrderState
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[PaperOrder]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[PaperOrder, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPerformanceRequest(_message.Message):
    __slots__ = ("account_id", "max_equity_points")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_EQUITY_POINTS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    max_equity_points: int
    def __init__(self, account_id: _Optional[str] = ..., max_equity_points: _Optional[int] = ...) -> None: ...

class GetPerformanceResponse(_message.Message):
    __slots__ = ("metrics", "equity_curve", "daily_pnl")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    DAILY_PNL_FIELD_NUMBER: _ClassVar[int]
    metrics: _backtest_pb2.BacktestMetrics
    equity_curve: _containers.RepeatedCompositeFieldContainer[_backtest_pb2.EquityPoint]
    daily_pnl: _containers.RepeatedCompositeFieldContainer[DailyPnl]
    def __init__(self, metrics: _Optional[_Union[_backtest_pb2.BacktestMetrics, _Mapping]] = ..., equity_curve: _Optional[_Iterable[_Union[_backtest_pb2.EquityPoint, _Mapping]]] = ..., daily_pnl: _Optional[_Iterable[_Union[DailyPnl, _Mapping]]] = ...) -> None: ...

class UpdateRiskLimitsRequest(_message.Message):
    __slots__ = ("account_id", "risk_limits", "update_mask", "etag")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_LIMITS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    risk_limits: RiskLimits
    update_mask: _field_mask_pb2.FieldMask
    etag: str
    def __init__(self, account_id: _Optional[str] = ..., risk_limits: _Optional[_Union[RiskLimits, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateRiskLimitsResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: PaperAccount
    def __init__(self, account: _Optional[_Union[PaperAccount, _Mapping]] = ...) -> None: ...
