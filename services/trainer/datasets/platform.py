"""The platform datasets every user finds on a fresh installation, generated from fixed seeds.

Each is created once, under a fixed request id of the platform owner: every later start (of any
replica) finds it and does nothing, and two replicas starting together insert it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages


@dataclass(frozen=True, slots=True)
class PlatformDefault:
    request_id: str
    display_name: str
    spec: messages.SyntheticDatasetSpec


def _regimes(*items: tuple[int, float, float]) -> list[messages.MarketRegime]:
    return [messages.MarketRegime(bars=bars, drift=drift, volatility=vol) for bars, drift, vol in items]


DEFAULTS: tuple[PlatformDefault, ...] = (
    PlatformDefault(
        request_id="platform-default:btc-usd-daily-5y",
        display_name="BTC-USD daily 5y",
        spec=messages.SyntheticDatasetSpec(
            seed=20_200_101,
            bar_count=5 * 365 + 1,
            timeframe=bar_pb2.TIMEFRAME_1_DAY,
            symbol="BTC-USD",
            initial_price=7_200.0,
            # bull run, crash, chop, recovery, drawdown
            regimes=_regimes(
                (420, 0.0030, 0.035),
                (220, -0.0035, 0.055),
                (380, 0.0000, 0.028),
                (450, 0.0022, 0.032),
                (356, -0.0008, 0.040),
            ),
        ),
    ),
    PlatformDefault(
        request_id="platform-default:spy-like-1h",
        display_name="SPY-like 1h",
        spec=messages.SyntheticDatasetSpec(
            seed=19_930_129,
            bar_count=2 * 365 * 24,
            timeframe=bar_pb2.TIMEFRAME_1_HOUR,
            symbol="SPY-LIKE",
            initial_price=320.0,
            # a slow climb, a sharp sell-off, a nervous rebound, calm again
            regimes=_regimes(
                (6_000, 0.00004, 0.0020),
                (900, -0.00030, 0.0070),
                (2_500, 0.00012, 0.0040),
                (8_120, 0.00003, 0.0018),
            ),
        ),
    ),
)
