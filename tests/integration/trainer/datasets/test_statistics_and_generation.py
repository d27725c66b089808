"""Statistics checked against pandas; generated and default platform datasets."""

from __future__ import annotations

import grpc
import numpy as np
import pandas as pd
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.mesh.server import start_service
from services.trainer.datasets.platform import DEFAULTS
from services.trainer.service import DEFINITION
from tests.integration.trainer.datasets.helpers import (
    ACME_ADMIN,
    ALICE,
    BOB,
    VIEWER,
    expect_error,
    field_violations,
    upload,
)
from tests.integration.trainer.datasets.test_uploads import csv_bytes, frame

pytestmark = pytest.mark.integration


async def test_statistics_agree_with_pandas(datasets_as):
    alice = datasets_as(ALICE)
    data = frame(400, seed=11).drop(index=[50, 51, 52, 200])
    dataset = (await upload(alice, csv_bytes(data), default_symbol="S")).dataset
    statistics = (
        await alice.GetDatasetStatistics(messages.GetDatasetStatisticsRequest(dataset_id=dataset.id))
    ).statistics
    assert statistics.row_count == len(data) == 396
    assert dict(statistics.rows_per_symbol) == {"S": 396}
    assert statistics.start_time.ToNanoseconds() == data["time"].iloc[0].value
    for column in statistics.columns:
        values = data[column.column]
        assert column.count == len(values)
        assert column.mean == pytest.approx(values.mean(), rel=1e-12)
        assert column.standard_deviation == pytest.approx(values.std(), rel=1e-9)
        assert (column.minimum, column.maximum) == (values.min(), values.max())
        assert column.median == pytest.approx(values.median(), rel=1e-12)
    assert [column.column for column in statistics.columns] == ["open", "high", "low", "close", "volume"]
    gaps = statistics.gaps
    assert (gaps.expected_bars, gaps.missing_bars, gaps.gap_count) == (400, 4, 2)
    assert gaps.largest_gaps[0].missing_bars == 3
    assert gaps.largest_gaps[0].start_time.ToNanoseconds() == pd.Timestamp("2024-01-03T02:00Z").value
    assert gaps.largest_gaps[0].end_time.ToNanoseconds() == pd.Timestamp("2024-01-03T04:00Z").value
    returns = data["close"].pct_change().dropna()
    distribution = statistics.returns
    assert distribution.mean == pytest.approx(returns.mean(), rel=1e-9)
    assert distribution.standard_deviation == pytest.approx(returns.std(), rel=1e-9)
    assert distribution.skewness == pytest.approx(returns.skew(), rel=1e-9)
    assert distribution.kurtosis == pytest.approx(returns.kurt(), rel=1e-9)
    assert (distribution.minimum, distribution.maximum) == pytest.approx((returns.min(), returns.max()))
    levels = [item.percentile for item in distribution.percentiles]
    assert levels == [1, 5, 25, 50, 75, 95, 99]
    assert [item.value for item in distribution.percentiles] == pytest.approx(
        np.percentile(returns, levels).tolist()
    )
    bins = distribution.histogram
    assert len(bins) == 50
    assert bins[0].lower == pytest.approx(np.percentile(returns, 0.5))
    assert bins[-1].upper == pytest.approx(np.percentile(returns, 99.5))
    inside = returns[(returns >= bins[0].lower) & (returns <= bins[-1].upper)]
    assert sum(item.count for item in bins) == len(inside)


def spec(seed: int = 7, bar_count: int = 3_000) -> messages.SyntheticDatasetSpec:
    return messages.SyntheticDatasetSpec(
        seed=seed,
        bar_count=bar_count,
        timeframe=bar_pb2.TIMEFRAME_1_HOUR,
        symbol="SYN",
        regimes=[
            messages.MarketRegime(bars=500, drift=0.0002, volatility=0.004),
            messages.MarketRegime(bars=300, drift=-0.0004, volatility=0.012),
        ],
    )


async def test_generation_is_deterministic_and_plausible(datasets_as):
    alice = datasets_as(ALICE)
    first = (
        await alice.GeneratePlatformDataset(
            messages.GeneratePlatformDatasetRequest(spec=spec(), display_name="a")
        )
    ).dataset
    second = (
        await alice.GeneratePlatformDataset(
            messages.GeneratePlatformDatasetRequest(spec=spec(), display_name="b")
        )
    ).dataset
    other = (
        await alice.GeneratePlatformDataset(
            messages.GeneratePlatformDatasetRequest(spec=spec(seed=8), display_name="c")
        )
    ).dataset
    assert first.content_hash == second.content_hash != other.content_hash
    assert first.owner_id == "alice"
    assert not first.platform
    assert first.row_count == 3_000
    assert list(first.symbols) == ["SYN"]
    assert first.start_time.ToJsonString() == "2020-01-01T00:00:00Z"
    assert first.generator.initial_price == 100.0
    assert first.generator.seed == 7
    preview = await alice.PreviewDataset(messages.PreviewDatasetRequest(dataset_id=first.id, head_rows=1000))
    bars = list(preview.head)
    assert all(bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high for bar in bars)
    assert all(bar.low > 0 and bar.volume >= 0 for bar in bars)
    statistics = (
        await alice.GetDatasetStatistics(messages.GetDatasetStatisticsRequest(dataset_id=first.id))
    ).statistics
    assert statistics.gaps.missing_bars == 0
    assert statistics.returns.kurtosis > 0  # fat tails


async def test_platform_generation_is_for_admins_and_visible_to_all(datasets_as):
    request = messages.GeneratePlatformDatasetRequest(
        spec=spec(bar_count=200), display_name="platform", platform=True, request_id="gen-1"
    )
    await expect_error(datasets_as(ALICE).GeneratePlatformDataset(request), grpc.StatusCode.PERMISSION_DENIED)
    await expect_error(
        datasets_as(VIEWER).GeneratePlatformDataset(
            messages.GeneratePlatformDatasetRequest(spec=spec(bar_count=200), display_name="own")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    admin = datasets_as(ACME_ADMIN)
    created = (await admin.GeneratePlatformDataset(request)).dataset
    assert created.platform
    assert created.owner_id == ""
    assert (await admin.GeneratePlatformDataset(request)).dataset == created  # the same request id
    changed = messages.GeneratePlatformDatasetRequest()
    changed.CopyFrom(request)
    changed.spec.seed = 99
    await expect_error(admin.GeneratePlatformDataset(changed), grpc.StatusCode.ALREADY_EXISTS)
    bob = datasets_as(BOB)
    assert (await bob.GetDataset(messages.GetDatasetRequest(dataset_id=created.id))).dataset == created
    await expect_error(
        bob.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=created.id)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    bad = messages.GeneratePlatformDatasetRequest(spec=spec(bar_count=0), display_name="bad")
    bad.spec.regimes[1].volatility = -1
    error = await expect_error(
        datasets_as(ALICE).GeneratePlatformDataset(bad), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert set(field_violations(error)) == {"spec.bar_count", "spec.regimes[1].volatility"}
    await admin.DeleteDataset(messages.DeleteDatasetRequest(dataset_id=created.id))
    await expect_error(
        bob.GetDataset(messages.GetDatasetRequest(dataset_id=created.id)), grpc.StatusCode.NOT_FOUND
    )


async def test_default_platform_datasets_exist_once(datasets_as, datasets_trainer):
    listed = await datasets_as(BOB).ListDatasets(
        messages.ListDatasetsRequest(scope=messages.DATASET_SCOPE_PLATFORM)
    )
    names = sorted(dataset.display_name for dataset in listed.datasets)
    assert names == sorted(default.display_name for default in DEFAULTS)
    btc = next(dataset for dataset in listed.datasets if dataset.display_name == "BTC-USD daily 5y")
    assert btc.timeframe == bar_pb2.TIMEFRAME_1_DAY
    assert btc.row_count == 1826
    # a second replica on the same database and store creates nothing
    again = await start_service(DEFINITION, datasets_trainer.settings)
    await again.stop(0)
    relisted = await datasets_as(BOB).ListDatasets(
        messages.ListDatasetsRequest(scope=messages.DATASET_SCOPE_PLATFORM)
    )
    assert list(relisted.datasets) == list(listed.datasets)
