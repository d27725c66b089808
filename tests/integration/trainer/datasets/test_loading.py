"""Loading bars for backtests and training: the service's async loader and the job processes' sync one."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.core.errors import InvalidArgument, NotFound
from services.mesh.artifacts import ArtifactStore
from services.trainer.datasets.loading import load_bars, load_bars_sync
from tests.integration.trainer.datasets.helpers import ALICE, BOB, upload

pytestmark = pytest.mark.integration

TWO_SYMBOLS = b"""time,symbol,open,high,low,close,volume
2024-01-01,AAA,1,2,0.5,1.5,10
2024-01-01,BBB,5,6,4,5.5,20
2024-01-02,AAA,1.5,2,1,1.25,11
2024-01-02,BBB,5.5,7,5,6,21
2024-01-03,AAA,1.25,1.5,1,1.5,12
"""


def assert_same_bars(first, second) -> None:
    for column in ("timestamps", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(first, column), getattr(second, column))


async def test_async_and_sync_loading_agree(
    datasets_as, datasets_trainer, datasets_artifacts_root, database_url
):
    dataset = (await upload(datasets_as(ALICE), TWO_SYMBOLS)).dataset
    pool = datasets_trainer.resources.database
    artifacts = ArtifactStore(datasets_artifacts_root)
    record, bars = await load_bars(pool, artifacts, ALICE, dataset.id, "AAA")
    assert record.id == dataset.id
    assert record.symbols == ("AAA", "BBB")
    assert record.content_hash == dataset.content_hash
    assert bars.close.tolist() == [1.5, 1.25, 1.5]
    assert bars.volume.tolist() == [10, 11, 12]
    assert bars.timestamps[0] == np.datetime64("2024-01-01", "ns").astype(np.int64)
    sync_record, sync_bars = await asyncio.to_thread(
        load_bars_sync, database_url, datasets_artifacts_root, "alice", dataset.id, "AAA"
    )
    assert sync_record == record
    assert_same_bars(sync_bars, bars)


async def test_loading_checks_owner_and_symbol(
    datasets_as, datasets_trainer, datasets_artifacts_root, database_url
):
    dataset = (await upload(datasets_as(ALICE), TWO_SYMBOLS)).dataset
    pool = datasets_trainer.resources.database
    artifacts = ArtifactStore(datasets_artifacts_root)
    with pytest.raises(NotFound):
        await load_bars(pool, artifacts, BOB, dataset.id, "AAA")
    with pytest.raises(NotFound):
        await asyncio.to_thread(
            load_bars_sync, database_url, datasets_artifacts_root, "bob", dataset.id, "AAA"
        )
    for symbol in (None, "ZZZ"):
        with pytest.raises(InvalidArgument) as raised:
            await load_bars(pool, artifacts, ALICE, dataset.id, symbol)
        assert [violation.field for violation in raised.value.violations] == ["symbol"]
        with pytest.raises(InvalidArgument):
            await asyncio.to_thread(
                load_bars_sync, database_url, datasets_artifacts_root, "alice", dataset.id, symbol
            )


async def test_platform_datasets_load_for_everyone(
    datasets_as, datasets_trainer, datasets_artifacts_root, database_url
):
    listed = await datasets_as(BOB).ListDatasets(
        messages.ListDatasetsRequest(scope=messages.DATASET_SCOPE_PLATFORM)
    )
    btc = next(dataset for dataset in listed.datasets if dataset.display_name == "BTC-USD daily 5y")
    record, bars = await load_bars(
        datasets_trainer.resources.database, ArtifactStore(datasets_artifacts_root), BOB, btc.id
    )
    assert len(bars) == btc.row_count == record.row_count
    _, sync_bars = await asyncio.to_thread(
        load_bars_sync, database_url, datasets_artifacts_root, "bob", btc.id
    )
    assert_same_bars(sync_bars, bars)
