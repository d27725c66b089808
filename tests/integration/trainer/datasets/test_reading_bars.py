"""ReadDatasetBars: one symbol's bars streamed in bounded chunks, a time range and a row limit, the
same access as every dataset read (another user's dataset is NOT_FOUND, the platform's are everyone's)."""

from __future__ import annotations

import grpc
import pandas as pd
import pytest
from google.protobuf import timestamp_pb2

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages
from tests.integration.trainer.datasets.helpers import (
    ACME_ADMIN,
    ALICE,
    BOB,
    VIEWER,
    expect_error,
    field_violations,
    upload,
)
from tests.integration.trainer.datasets.test_uploads import assert_bars_equal, csv_bytes, frame

pytestmark = pytest.mark.integration

CHUNK = 5_000


def _time(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(text)
    return stamp


def _bars(replies: list[messages.ReadDatasetBarsResponse]) -> list[bar_pb2.Bar]:
    return [bar for reply in replies for bar in reply.bars]


async def _generated(client, bar_count: int) -> messages.Dataset:
    spec = messages.SyntheticDatasetSpec(
        seed=5, bar_count=bar_count, timeframe=bar_pb2.TIMEFRAME_1_HOUR, symbol="SYN"
    )
    request = messages.GeneratePlatformDatasetRequest(spec=spec, display_name="hourly")
    return (await client.GeneratePlatformDataset(request)).dataset


async def test_the_chunks_reassemble_to_the_whole_dataset(datasets_as):
    alice = datasets_as(ALICE)
    dataset = await _generated(alice, 12_345)
    replies = await alice.read_bars(messages.ReadDatasetBarsRequest(dataset_id=dataset.id))
    assert [len(reply.bars) for reply in replies] == [CHUNK, CHUNK, 2_345]
    bars = _bars(replies)
    assert len(bars) == dataset.row_count
    assert {(bar.symbol, bar.timeframe) for bar in bars} == {("SYN", bar_pb2.TIMEFRAME_1_HOUR)}
    times = [bar.time.ToNanoseconds() for bar in bars]
    assert times == sorted(set(times))
    assert bars[0].time == dataset.start_time
    assert bars[-1].time == dataset.end_time
    preview = await alice.PreviewDataset(
        messages.PreviewDatasetRequest(dataset_id=dataset.id, head_rows=1000, tail_rows=1000)
    )
    assert bars[:1000] == list(preview.head)
    assert bars[-1000:] == list(preview.tail)


async def test_a_time_range_and_a_limit_choose_the_bars(datasets_as):
    alice = datasets_as(ALICE)
    data = frame(rows=48)  # hourly from 2024-01-01T00:00Z
    dataset = (await upload(alice, csv_bytes(data), default_symbol="A")).dataset

    async def read(**fields) -> list[bar_pb2.Bar]:
        return _bars(await alice.read_bars(messages.ReadDatasetBarsRequest(dataset_id=dataset.id, **fields)))

    assert_bars_equal(await read(), data, "A")
    # [start_time, end_time): a bar opening at end_time is not in it
    window = await read(start_time=_time("2024-01-01T10:00:00Z"), end_time=_time("2024-01-01T20:00:00Z"))
    assert_bars_equal(window, data.iloc[10:20], "A")
    # a start between two bars begins at the next one
    assert_bars_equal(await read(start_time=_time("2024-01-01T10:30:00Z")), data.iloc[11:], "A")
    assert_bars_equal(await read(end_time=_time("2024-01-01T05:00:00Z")), data.iloc[:5], "A")
    assert_bars_equal(await read(max_bars=7), data.iloc[:7], "A")
    assert_bars_equal(await read(start_time=_time("2024-01-01T16:00:00Z"), max_bars=3), data.iloc[16:19], "A")
    assert_bars_equal(await read(max_bars=1_000), data, "A")
    # nothing in the range: an empty stream
    assert (
        await alice.read_bars(
            messages.ReadDatasetBarsRequest(dataset_id=dataset.id, start_time=_time("2030-01-01T00:00:00Z"))
        )
        == []
    )
    same = _time("2024-01-01T03:00:00Z")
    assert await read(start_time=same, end_time=same) == []


async def test_one_symbol_of_several(datasets_as):
    alice = datasets_as(ALICE)
    first, second = frame(rows=30, seed=1), frame(rows=20, seed=2)
    both = pd.concat([first.assign(symbol="AAA"), second.assign(symbol="BBB")])
    dataset = (await upload(alice, csv_bytes(both))).dataset
    assert list(dataset.symbols) == ["AAA", "BBB"]
    replies = await alice.read_bars(messages.ReadDatasetBarsRequest(dataset_id=dataset.id, symbol="BBB"))
    assert_bars_equal(_bars(replies), second, "BBB")
    for symbol in ("", "CCC"):
        error = await expect_error(
            alice.read_bars(messages.ReadDatasetBarsRequest(dataset_id=dataset.id, symbol=symbol)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert set(field_violations(error)) == {"symbol"}, symbol
        assert "AAA" in field_violations(error)["symbol"]


async def test_bad_ranges_are_refused_naming_every_field(datasets_as):
    alice = datasets_as(ALICE)
    dataset = (await upload(alice, csv_bytes(frame(rows=10)), default_symbol="A")).dataset
    error = await expect_error(
        alice.read_bars(messages.ReadDatasetBarsRequest(
            dataset_id=dataset.id, start_time=_time("2024-01-02T00:00:00Z"),
            end_time=_time("2024-01-01T00:00:00Z"), max_bars=-1,
        )),
        grpc.StatusCode.INVALID_ARGUMENT,
    )  # fmt: skip
    assert set(field_violations(error)) == {"end_time", "max_bars"}
    out_of_range = messages.ReadDatasetBarsRequest(
        dataset_id=dataset.id,
        start_time=timestamp_pb2.Timestamp(seconds=2**62),
        end_time=timestamp_pb2.Timestamp(seconds=0, nanos=-5),
    )
    error = await expect_error(alice.read_bars(out_of_range), grpc.StatusCode.INVALID_ARGUMENT)
    assert set(field_violations(error)) == {"start_time", "end_time"}


async def test_another_users_dataset_is_not_found_and_the_platforms_is_everyones(datasets_as):
    alice, bob = datasets_as(ALICE), datasets_as(BOB)
    dataset = (await upload(alice, csv_bytes(frame(rows=10)), default_symbol="A")).dataset
    request = messages.ReadDatasetBarsRequest(dataset_id=dataset.id)
    await expect_error(bob.read_bars(request), grpc.StatusCode.NOT_FOUND)
    await expect_error(
        bob.read_bars(messages.ReadDatasetBarsRequest(dataset_id="no-such-dataset")),
        grpc.StatusCode.NOT_FOUND,
    )
    # a member's dataset is readable by the organisation's admin, as GetDataset is; viewers read too
    assert len(_bars(await datasets_as(ACME_ADMIN).read_bars(request))) == 10
    listed = await bob.ListDatasets(messages.ListDatasetsRequest(scope=messages.DATASET_SCOPE_PLATFORM))
    platform = listed.datasets[0]
    replies = await datasets_as(VIEWER).read_bars(
        messages.ReadDatasetBarsRequest(dataset_id=platform.id, max_bars=10)
    )
    assert len(_bars(replies)) == 10
    assert len(_bars(await bob.read_bars(messages.ReadDatasetBarsRequest(dataset_id=platform.id)))) == (
        platform.row_count
    )
