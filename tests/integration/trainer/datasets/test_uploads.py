"""Uploads: every problem of a broken file at once and nothing stored; good files round-trip."""

from __future__ import annotations

import io

import grpc
import numpy as np
import pandas as pd
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages
from tests.integration.trainer.datasets.helpers import (
    ALICE,
    VIEWER,
    expect_error,
    field_violations,
    stored_files,
    upload,
)

pytestmark = pytest.mark.integration

BROKEN_CSV = b"""time,open,high,low,close,volume
2024-01-01T00:00:00Z,10,11,9,10.5,100
2024-01-01T01:00:00Z,10,,9,10.5,100
2024-01-01T02:00:00Z,10,11,9,abc,100
yesterday,10,11,9,10.5,100
2024-01-01T03:00:00Z,10,9.5,9,10.5,100
2024-01-01T03:00:00Z,10,11,9,10.5,100
2024-01-01T02:30:00Z,10,11,10.2,10.5,100
2024-01-01T05:00:00Z,-1,11,9,10.5,-5
2024-01-01T06:00:00Z,10,11,9,nan,100
"""


def frame(rows: int = 48, seed: int = 3, start: str = "2024-01-01", freq: str = "h") -> pd.DataFrame:
    random = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(random.normal(0, 0.01, rows)))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + random.uniform(0, 0.01, rows))
    low = np.minimum(open_, close) * (1 - random.uniform(0, 0.01, rows))
    return pd.DataFrame(
        {
            "time": pd.date_range(start, periods=rows, freq=freq, tz="UTC"),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": random.integers(1, 10_000, rows).astype(float),
        }
    )


def csv_bytes(data: pd.DataFrame) -> bytes:
    # repr-exact floats, so that what comes back can be compared for equality
    return data.to_csv(index=False, float_format="%.17g", date_format="%Y-%m-%dT%H:%M:%SZ").encode()


def assert_bars_equal(bars: list[bar_pb2.Bar], expected: pd.DataFrame, symbol: str) -> None:
    assert [bar.symbol for bar in bars] == [symbol] * len(expected)
    assert [bar.time.ToNanoseconds() for bar in bars] == [stamp.value for stamp in expected["time"]]
    for column in ("open", "high", "low", "close", "volume"):
        assert [getattr(bar, column) for bar in bars] == expected[column].tolist(), column


async def test_a_broken_csv_reports_every_bad_line_and_stores_nothing(datasets_as, datasets_artifacts_root):
    alice = datasets_as(ALICE)
    before = stored_files(datasets_artifacts_root)
    error = await expect_error(
        upload(alice, BROKEN_CSV, chunk_bytes=50, default_symbol="X", request_id="r1"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(error) == {
        "line[3].high": "value is missing",
        "line[4].close": "not a number",
        "line[5].timestamp": "not a parseable date/time",
        "line[6].high": "below max(open, close)",
        "line[7].timestamp": "duplicate of the previous row's time",
        "line[8].timestamp": "earlier than the previous row",
        "line[8].low": "above min(open, close)",
        "line[9].open": "price must be positive",
        "line[9].volume": "must not be negative",
        "line[10].close": "value is missing",
    }
    assert stored_files(datasets_artifacts_root) == before
    listed = await alice.ListDatasets(messages.ListDatasetsRequest(scope=messages.DATASET_SCOPE_OWN))
    assert list(listed.datasets) == []


async def test_missing_columns_and_a_missing_symbol_are_named(datasets_as):
    alice = datasets_as(ALICE)
    error = await expect_error(
        upload(alice, b"time,open,close\n2024-01-01,1,1\n"), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert set(field_violations(error)) == {"high", "low"}
    error = await expect_error(upload(alice, csv_bytes(frame(5))), grpc.StatusCode.INVALID_ARGUMENT)
    assert set(field_violations(error)) == {"metadata.default_symbol"}


async def test_a_good_csv_round_trips_through_preview(datasets_as, datasets_artifacts_root):
    alice = datasets_as(ALICE)
    data = frame(48)
    response = await upload(
        alice, csv_bytes(data), chunk_bytes=1000, default_symbol="ABC", display_name="abc"
    )
    dataset = response.dataset
    assert dataset.owner_id == "alice"
    assert not dataset.platform
    assert dataset.display_name == "abc"
    assert dataset.source_format == messages.DATASET_FORMAT_CSV
    assert dataset.timeframe == bar_pb2.TIMEFRAME_1_HOUR  # inferred from the spacing
    assert list(dataset.symbols) == ["ABC"]
    assert dataset.row_count == 48
    assert dataset.start_time.ToNanoseconds() == data["time"].iloc[0].value
    assert dataset.end_time.ToNanoseconds() == data["time"].iloc[-1].value
    assert dataset.content_hash.startswith("sha256:")
    digest = dataset.content_hash.removeprefix("sha256:")
    stored = datasets_artifacts_root / digest[:2] / digest[2:4] / digest
    assert stored.stat().st_size == dataset.size_bytes
    assert list(response.warnings) == []

    preview = await alice.PreviewDataset(
        messages.PreviewDatasetRequest(dataset_id=dataset.id, head_rows=48, tail_rows=5)
    )
    assert preview.row_count == 48
    assert_bars_equal(list(preview.head), data, "ABC")
    assert_bars_equal(list(preview.tail), data.iloc[-5:], "ABC")
    assert {bar.timeframe for bar in preview.head} == {bar_pb2.TIMEFRAME_1_HOUR}
    got = await alice.GetDataset(messages.GetDatasetRequest(dataset_id=dataset.id))
    assert got.dataset == dataset


async def test_parquet_is_sniffed_and_has_the_csv_content_hash(datasets_as):
    alice = datasets_as(ALICE)
    data = frame(30, seed=9)
    buffer = io.BytesIO()
    data.to_parquet(buffer)
    from_parquet = await upload(
        alice, buffer.getvalue(), format=messages.DATASET_FORMAT_UNSPECIFIED, default_symbol="P"
    )
    from_csv = await upload(alice, csv_bytes(data), default_symbol="P")
    assert from_parquet.dataset.source_format == messages.DATASET_FORMAT_PARQUET
    assert from_parquet.dataset.content_hash == from_csv.dataset.content_hash
    assert from_parquet.dataset.id != from_csv.dataset.id
    preview = await alice.PreviewDataset(
        messages.PreviewDatasetRequest(dataset_id=from_parquet.dataset.id, head_rows=30)
    )
    assert_bars_equal(list(preview.head), data, "P")


async def test_gaps_are_warnings_and_the_declared_timeframe_is_kept(datasets_as):
    alice = datasets_as(ALICE)
    data = frame(40).drop(index=[10, 11, 12, 30])
    response = await upload(alice, csv_bytes(data), default_symbol="G", timeframe=bar_pb2.TIMEFRAME_1_HOUR)
    assert response.dataset.timeframe == bar_pb2.TIMEFRAME_1_HOUR
    assert response.warnings[0] == "4 missing bar(s) in 2 gap(s)"
    assert (
        response.warnings[1]
        == "G: 3 bar(s) missing from 2024-01-01T10:00:00+00:00 to 2024-01-01T12:00:00+00:00"
    )


async def test_several_symbols_and_a_time_zone(datasets_as):
    alice = datasets_as(ALICE)
    text = b"""date,symbol,open,high,low,close,volume
2024-03-01 09:30,BBB,5,6,4,5.5,10
2024-03-01 09:30,AAA,1,2,1,1.5,10
2024-03-01 09:31,AAA,1.5,2,1,1,10
2024-03-01 09:31,BBB,5.5,6,5,6,10
"""
    response = await upload(alice, text, timezone="America/New_York")
    dataset = response.dataset
    assert list(dataset.symbols) == ["AAA", "BBB"]
    assert dataset.timeframe == bar_pb2.TIMEFRAME_1_MINUTE
    assert dataset.start_time.ToJsonString() == "2024-03-01T14:30:00Z"
    preview = await alice.PreviewDataset(
        messages.PreviewDatasetRequest(dataset_id=dataset.id, head_rows=10, symbol="BBB")
    )
    assert [(bar.symbol, bar.close) for bar in preview.head] == [("BBB", 5.5), ("BBB", 6.0)]
    everything = await alice.PreviewDataset(messages.PreviewDatasetRequest(dataset_id=dataset.id))
    assert [bar.symbol for bar in everything.head] == ["AAA", "AAA", "BBB", "BBB"]
    error = await expect_error(
        alice.PreviewDataset(messages.PreviewDatasetRequest(dataset_id=dataset.id, symbol="CCC")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert set(field_violations(error)) == {"symbol"}


async def test_request_ids_make_uploads_idempotent(datasets_as, datasets_artifacts_root):
    alice = datasets_as(ALICE)
    data = csv_bytes(frame(20))
    first = await upload(alice, data, default_symbol="R", request_id="upload-1")
    again = await upload(alice, data, default_symbol="R", request_id="upload-1")
    assert again.dataset == first.dataset
    files = stored_files(datasets_artifacts_root)
    await expect_error(
        upload(alice, csv_bytes(frame(21)), default_symbol="R", request_id="upload-1"),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert stored_files(datasets_artifacts_root) == files  # the refused file's bars were not kept
    # without a request id the same bytes make a second dataset sharing the stored file
    third = await upload(alice, data, default_symbol="R")
    assert third.dataset.id != first.dataset.id
    assert third.dataset.content_hash == first.dataset.content_hash
    assert stored_files(datasets_artifacts_root) == files


async def test_stream_shape_roles_and_size_limits(datasets_as):
    alice = datasets_as(ALICE)

    async def chunk_first():
        yield messages.UploadDatasetRequest(chunk=b"time,open\n")

    error = await expect_error(alice.UploadDataset(chunk_first()), grpc.StatusCode.INVALID_ARGUMENT)
    assert set(field_violations(error)) == {"metadata"}
    await expect_error(upload(datasets_as(VIEWER), csv_bytes(frame(5))), grpc.StatusCode.PERMISSION_DENIED)
    await expect_error(
        upload(alice, csv_bytes(frame(5)), size_bytes=10**12), grpc.StatusCode.RESOURCE_EXHAUSTED
    )
    error = await expect_error(upload(alice, b""), grpc.StatusCode.INVALID_ARGUMENT)
    assert set(field_violations(error)) == {"chunk"}
    error = await expect_error(
        upload(alice, csv_bytes(frame(5)), display_name=" ", timezone="Mars/Olympus"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert set(field_violations(error)) == {"metadata.display_name", "metadata.timezone"}
