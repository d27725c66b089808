"""Paper accounts over gRPC: create, read, list, reset, risk limits; ownership; bad input; risk refusals."""

from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest
from google.protobuf import field_mask_pb2

from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc, signal_bus_service_pb2_grpc, signal_pb2
from services.core.ownership import Caller, Role
from tests.helpers import assert_eventually
from tests.integration.signal_bus.conftest import BOTH_ENGINES, As
from tests.integration.signal_bus.paper_helpers import (
    PAPER_SETTINGS,
    account,
    bar,
    create,
    field_violations,
    orders,
    publish_bars,
    publish_signal,
    signal,
    trades,
    wait_for_orders,
    wait_until_settled,
)

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

BUY, SELL, CLOSE = signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_CLOSE


@pytest.fixture
def bus_settings() -> dict[str, object]:
    return dict(PAPER_SETTINGS)


@pytest.fixture
def people(channel, namespace) -> SimpleNamespace:
    """Stubs for callers unique to the test (accounts are per owner, the database per session)."""
    organization = f"acme-{namespace}"
    callers = {
        "alice": Caller(f"alice-{namespace}", organization, Role.TRADER),
        "bob": Caller(f"bob-{namespace}", organization, Role.TRADER),
        "eve": Caller(f"eve-{namespace}", f"globex-{namespace}", Role.TRADER),
        "admin": Caller(f"root-{namespace}", organization, Role.ADMIN),
        "viewer": Caller(f"val-{namespace}", organization, Role.VIEWER),
    }
    paper_stub = paper_trading_service_pb2_grpc.PaperTradingServiceStub(channel)
    bus_stub = signal_bus_service_pb2_grpc.SignalBusServiceStub(channel)
    stubs = {name: As(paper_stub, caller) for name, caller in callers.items()}
    return SimpleNamespace(**stubs, bus=As(bus_stub, callers["alice"]), alice_id=callers["alice"].user_id)


async def _code(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_an_account_is_created_read_and_listed_newest_first(people):
    first = await create(people.alice, account("rsi", 5_000, commission_fraction=0.001))
    second = await create(people.alice, account("macd", 7_000, deployment_ids=["d1"]))
    assert first.name == f"paperAccounts/{first.id}"
    assert (first.owner_id, first.cash, first.equity, first.reset_count) == (people.alice_id, 5_000, 5_000, 0)
    assert first.commission_fraction == 0.001
    assert first.etag
    fetched = await people.alice.GetAccount(paper.GetAccountRequest(account_id=first.id))
    assert fetched.account == first
    page = await people.alice.ListAccounts(paper.ListAccountsRequest(page_size=1))
    assert [item.id for item in page.accounts] == [second.id]
    rest = await people.alice.ListAccounts(
        paper.ListAccountsRequest(page_size=1, page_token=page.next_page_token)
    )
    assert [item.id for item in rest.accounts] == [first.id]
    assert not rest.next_page_token


async def test_a_retried_create_returns_the_first_account_and_a_reused_id_with_other_content_is_refused(
    people,
):
    first = await create(people.alice, account("rsi"), request_id="once")
    again = await create(people.alice, account("rsi"), request_id="once")
    assert again.id == first.id
    error = await _code(create(people.alice, account("other"), request_id="once"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_others_cannot_see_an_account_and_an_admin_may_only_read_it(people):
    created = await create(people.alice, account("rsi"))
    ask = paper.GetAccountRequest(account_id=created.id)
    for stranger in (people.bob, people.eve):
        assert (await _code(stranger.GetAccount(ask))).code() == grpc.StatusCode.NOT_FOUND
        for call in (
            stranger.ListPositions(paper.ListPositionsRequest(account_id=created.id)),
            stranger.ListTrades(paper.ListTradesRequest(account_id=created.id)),
            stranger.ListOrders(paper.ListOrdersRequest(account_id=created.id)),
            stranger.GetPerformance(paper.GetPerformanceRequest(account_id=created.id)),
            stranger.ResetAccount(paper.ResetAccountRequest(account_id=created.id)),
            stranger.UpdateRiskLimits(paper.UpdateRiskLimitsRequest(account_id=created.id)),
        ):
            assert (await _code(call)).code() == grpc.StatusCode.NOT_FOUND
    listed = await people.bob.ListAccounts(paper.ListAccountsRequest())
    assert created.id not in [item.id for item in listed.accounts]
    assert (await people.admin.GetAccount(ask)).account.id == created.id
    admin_list = await people.admin.ListAccounts(paper.ListAccountsRequest())
    assert created.id in [item.id for item in admin_list.accounts]
    reset = people.admin.ResetAccount(paper.ResetAccountRequest(account_id=created.id))
    assert (await _code(reset)).code() == grpc.StatusCode.PERMISSION_DENIED
    viewer_create = create(people.viewer, account("rsi"))
    assert (await _code(viewer_create)).code() == grpc.StatusCode.PERMISSION_DENIED


async def test_bad_input_is_refused_with_every_field_named(people):
    bad = paper.PaperAccount(
        initial_cash=-1,
        commission_fraction=2,
        slippage_fraction=-0.1,
        strategy_ids=["rsi", " "],
        risk_limits=paper.RiskLimits(max_position_fraction=-1, max_daily_loss_fraction=1.5),
    )
    error = await _code(create(people.alice, bad))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(error) == {
        "account.initial_cash",
        "account.commission_fraction",
        "account.slippage_fraction",
        "account.strategy_ids[1]",
        "account.risk_limits.max_position_fraction",
        "account.risk_limits.max_daily_loss_fraction",
    }
    unattached = await _code(create(people.alice, paper.PaperAccount(initial_cash=100)))
    assert field_violations(unattached) == {"account.strategy_ids"}
    created = await create(people.alice, account("rsi"))
    for call, fields in (
        (
            people.alice.UpdateRiskLimits(
                paper.UpdateRiskLimitsRequest(
                    account_id=created.id, update_mask=field_mask_pb2.FieldMask(paths=["allow_short"])
                )
            ),
            {"update_mask.paths[0]"},
        ),
        (
            people.alice.UpdateRiskLimits(
                paper.UpdateRiskLimitsRequest(
                    account_id=created.id, risk_limits=paper.RiskLimits(max_exposure_fraction=float("nan"))
                )
            ),
            {"risk_limits.max_exposure_fraction"},
        ),
        (
            people.alice.ResetAccount(paper.ResetAccountRequest(account_id=created.id, initial_cash=-5)),
            {"initial_cash"},
        ),
        (people.alice.ListOrders(paper.ListOrdersRequest(account_id=created.id, state=99)), {"state"}),
        (
            people.alice.ListTrades(paper.ListTradesRequest(account_id=created.id, page_token="x")),
            {"page_token"},
        ),
        (
            people.alice.GetPerformance(
                paper.GetPerformanceRequest(account_id=created.id, max_equity_points=-1)
            ),
            {"max_equity_points"},
        ),
    ):
        error = await _code(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_violations(error) == fields
    unchanged = await people.alice.GetAccount(paper.GetAccountRequest(account_id=created.id))
    assert unchanged.account == created


async def test_risk_limits_change_with_a_mask_and_a_stale_etag_is_refused(people):
    created = await create(
        people.alice, account("rsi", risk_limits=paper.RiskLimits(max_position_fraction=0.5))
    )
    updated = await people.alice.UpdateRiskLimits(
        paper.UpdateRiskLimitsRequest(
            account_id=created.id,
            risk_limits=paper.RiskLimits(max_exposure_fraction=0.8, max_position_fraction=0.9),
            update_mask=field_mask_pb2.FieldMask(paths=["max_exposure_fraction"]),
            etag=created.etag,
        )
    )
    limits = updated.account.risk_limits
    assert (limits.max_position_fraction, limits.max_exposure_fraction) == (0.5, 0.8)
    assert updated.account.etag != created.etag
    stale = people.alice.UpdateRiskLimits(
        paper.UpdateRiskLimitsRequest(account_id=created.id, risk_limits=limits, etag=created.etag)
    )
    assert (await _code(stale)).code() == grpc.StatusCode.ABORTED


async def test_orders_that_break_a_limit_are_refused_and_recorded_with_the_reason(people, namespace):
    strategy = f"risk-{namespace}"
    created = await create(
        people.alice,
        account(
            strategy,
            10_000,
            risk_limits=paper.RiskLimits(max_position_fraction=0.5, max_daily_loss_fraction=0.05),
        ),
    )
    await publish_signal(people.bus, signal("big", strategy, "ABC", BUY, 1, quantity=60, price_target=100))
    await publish_signal(people.bus, signal("fits", strategy, "ABC", BUY, 1, quantity=40, price_target=100))
    await publish_bars(people.bus, [bar("ABC", 1, 100, 100, 100, 100)])
    await wait_until_settled(people.alice, created.id, 2)
    placed = await orders(people.alice, created.id)
    assert [order.state for order in placed] == [paper.ORDER_STATE_REFUSED, paper.ORDER_STATE_FILLED]
    assert placed[0].refusal_reason == "max position 0.50 of equity would be exceeded (0.60)"
    # the price falls 20 %: 8 % of the day's equity lost, beyond the 5 % daily limit
    await publish_bars(people.bus, [bar("ABC", 2, 100, 100, 80, 80)])

    async def halted() -> bool:
        reply = await people.alice.GetAccount(paper.GetAccountRequest(account_id=created.id))
        return reply.account.trading_halted

    await assert_eventually(halted, 20, interval=0.1, message="halted by the daily loss")
    await publish_signal(people.bus, signal("more", strategy, "ABC", BUY, 3, quantity=1))
    await publish_signal(people.bus, signal("out", strategy, "ABC", SELL, 3, quantity=40))
    placed = await wait_for_orders(people.alice, created.id, 4)
    assert placed[2].state == paper.ORDER_STATE_REFUSED
    assert placed[2].refusal_reason.startswith("max daily loss 0.05")
    assert placed[3].state == paper.ORDER_STATE_PENDING  # reducing is always allowed


async def test_a_reset_starts_over_archives_the_history_and_keeps_following_signals(people, namespace):
    strategy = f"reset-{namespace}"
    created = await create(people.alice, account(strategy, 1_000))
    await publish_signal(people.bus, signal("s1", strategy, "XYZ", BUY, 1, quantity=5))
    await publish_bars(people.bus, [bar("XYZ", 1, 100, 100, 100, 100), bar("XYZ", 2, 110, 110, 110, 110)])

    async def marked() -> bool:
        reply = await people.alice.ListPositions(paper.ListPositionsRequest(account_id=created.id))
        return [(p.quantity, p.market_price) for p in reply.positions] == [(5, 110)]

    await assert_eventually(marked, 20, interval=0.1, message="position marked at 110")
    positions = await people.alice.ListPositions(paper.ListPositionsRequest(account_id=created.id))
    (position,) = positions.positions
    assert (position.average_price, position.unrealized_pnl, position.market_value) == (100, 50, 550)
    reply = await people.alice.GetAccount(paper.GetAccountRequest(account_id=created.id))
    assert (reply.account.cash, reply.account.equity) == (500, 1_050)
    performance = await people.alice.GetPerformance(paper.GetPerformanceRequest(account_id=created.id))
    assert [point.equity for point in performance.equity_curve] == [1_000, 1_050]
    assert [day.pnl for day in performance.daily_pnl] == [50]
    assert performance.metrics.end_equity == 1_050

    reset = await people.alice.ResetAccount(
        paper.ResetAccountRequest(account_id=created.id, initial_cash=2_000, etag=reply.account.etag)
    )
    assert (reset.account.reset_count, reset.account.cash, reset.account.equity) == (1, 2_000, 2_000)
    assert reset.account.HasField("last_reset_time")
    assert await orders(people.alice, created.id) == []
    assert await trades(people.alice, created.id) == []
    empty = await people.alice.ListPositions(paper.ListPositionsRequest(account_id=created.id))
    assert list(empty.positions) == []
    await publish_signal(people.bus, signal("s2", strategy, "XYZ", BUY, 3, quantity=1))
    await publish_bars(people.bus, [bar("XYZ", 3, 120, 120, 120, 120)])
    await wait_until_settled(people.alice, created.id, 1)
    (filled,) = await orders(people.alice, created.id)
    assert (filled.signal_id, filled.state, filled.fill_price) == ("s2", paper.ORDER_STATE_FILLED, 120)
