"""Protobuf <-> domain for datasets: descriptions, statistics, bars and generator specs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2
from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.core.datasets import generator, statistics
from services.core.datasets.columnar import CanonicalBars
from services.core.datasets.timeframes import interval_ns
from services.core.errors import FieldViolation, InvalidArgument
from services.mesh import conversions
from services.trainer.datasets.preparation import UploadMetadata
from services.trainer.datasets.records import DatasetRecord, resource_name

TIMEFRAME_CODES: dict[int, str] = {
    bar_pb2.TIMEFRAME_1_MINUTE: "1m",
    bar_pb2.TIMEFRAME_5_MINUTES: "5m",
    bar_pb2.TIMEFRAME_15_MINUTES: "15m",
    bar_pb2.TIMEFRAME_30_MINUTES: "30m",
    bar_pb2.TIMEFRAME_1_HOUR: "1h",
    bar_pb2.TIMEFRAME_4_HOURS: "4h",
    bar_pb2.TIMEFRAME_1_DAY: "1d",
    bar_pb2.TIMEFRAME_1_WEEK: "1w",
}
TIMEFRAME_ENUMS: dict[str, int] = {code: value for value, code in TIMEFRAME_CODES.items()}
FORMAT_ENUMS = {
    "csv": messages.DATASET_FORMAT_CSV,
    "parquet": messages.DATASET_FORMAT_PARQUET,
    "generated": messages.DATASET_FORMAT_UNSPECIFIED,
}
FORMAT_NAMES = {messages.DATASET_FORMAT_CSV: "csv", messages.DATASET_FORMAT_PARQUET: "parquet"}


def timeframe_code(value: int) -> str:
    """The code of a `Timeframe` value; '' for UNSPECIFIED (or a value this build does not know)."""
    return TIMEFRAME_CODES.get(value, "")


def timestamp(nanoseconds: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(nanoseconds))
    return stamp


def dataset_to_proto(record: DatasetRecord) -> messages.Dataset:
    dataset = messages.Dataset(
        name=resource_name(record.id),
        id=record.id,
        owner_id=record.owner_id,
        platform=record.platform,
        display_name=record.display_name,
        source_format=FORMAT_ENUMS[record.source_format],
        timeframe=TIMEFRAME_ENUMS.get(record.timeframe, bar_pb2.TIMEFRAME_UNSPECIFIED),
        symbols=record.symbols,
        row_count=record.row_count,
        start_time=timestamp(record.start_ns),
        end_time=timestamp(record.end_ns),
        content_hash=record.content_hash,
        size_bytes=record.size_bytes,
    )
    if record.generator is not None:
        dataset.generator.ParseFromString(record.generator)
    dataset.create_time.FromDatetime(record.create_time)
    return dataset


def statistics_to_proto(summary: statistics.DatasetSummary) -> messages.DatasetStatistics:
    returns = summary.returns
    gaps = summary.gaps
    return messages.DatasetStatistics(
        row_count=summary.row_count,
        start_time=timestamp(summary.start_ns),
        end_time=timestamp(summary.end_ns),
        rows_per_symbol=summary.rows_per_symbol,
        columns=[
            messages.ColumnStatistics(
                column=column.column,
                count=column.count,
                mean=column.mean,
                standard_deviation=column.standard_deviation,
                minimum=column.minimum,
                maximum=column.maximum,
                median=column.median,
            )
            for column in summary.columns
        ],
        gaps=messages.GapReport(
            expected_bars=gaps.expected_bars,
            missing_bars=gaps.missing_bars,
            gap_count=gaps.gap_count,
            largest_gaps=[
                messages.Gap(
                    symbol=gap.symbol,
                    start_time=timestamp(gap.start_ns),
                    end_time=timestamp(gap.end_ns),
                    missing_bars=gap.missing_bars,
                )
                for gap in gaps.largest
            ],
        ),
        returns=messages.ReturnsDistribution(
            mean=returns.mean,
            standard_deviation=returns.standard_deviation,
            skewness=returns.skewness,
            kurtosis=returns.kurtosis,
            minimum=returns.minimum,
            maximum=returns.maximum,
            percentiles=[
                backtest_pb2.Percentile(percentile=level, value=value)
                for level, value in returns.percentiles.items()
            ],
            histogram=[
                messages.HistogramBin(lower=item.lower, upper=item.upper, count=item.count)
                for item in returns.histogram
            ],
        ),
    )


def bars_to_proto(bars: CanonicalBars, timeframe: str) -> list[bar_pb2.Bar]:
    frame = TIMEFRAME_ENUMS.get(timeframe, bar_pb2.TIMEFRAME_UNSPECIFIED)
    symbols = bars.symbol_column()
    columns = [bars.open.tolist(), bars.high.tolist(), bars.low.tolist(), bars.close.tolist()]
    volumes = bars.volume.tolist()
    return [
        bar_pb2.Bar(
            symbol=symbols[index],
            timeframe=frame,
            time=timestamp(int(bars.timestamps[index])),
            open=columns[0][index],
            high=columns[1][index],
            low=columns[2][index],
            close=columns[3][index],
            volume=volumes[index],
        )
        for index in range(len(bars))
    ]


BARS_PER_MESSAGE = 5_000


@dataclass(frozen=True, slots=True)
class BarWindow:
    """Which bars of a dataset a ReadDatasetBars request asks for (times in ns; None: unbounded)."""

    symbol: str
    start_ns: int | None
    end_ns: int | None
    max_bars: int


def bar_window(request: messages.ReadDatasetBarsRequest) -> BarWindow:
    """The request's window; INVALID_ARGUMENT naming every bad field at once."""
    violations = []
    times: dict[str, int | None] = {"start_time": None, "end_time": None}
    for name in times:
        if request.HasField(name):
            try:
                times[name] = conversions.time_ns_from_proto(getattr(request, name), name)
            except InvalidArgument as error:
                violations.extend(error.violations)
    start_ns, end_ns = times["start_time"], times["end_time"]
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        violations.append(FieldViolation("end_time", "is before start_time"))
    if request.max_bars < 0:
        violations.append(FieldViolation("max_bars", "must not be negative (0 means all bars)"))
    if violations:
        raise InvalidArgument("invalid bar range", violations)
    return BarWindow(request.symbol, start_ns, end_ns, request.max_bars)


def bar_chunks(bars: CanonicalBars, size: int = BARS_PER_MESSAGE) -> Iterator[CanonicalBars]:
    """The bars in consecutive pieces of at most `size` (none for no bars)."""
    for start in range(0, len(bars), size):
        yield bars.rows(start, start + size)


def spec_from_proto(
    message: messages.SyntheticDatasetSpec,
) -> tuple[generator.SyntheticSpec, messages.SyntheticDatasetSpec]:
    """The domain spec, and the message with every default it implies filled in (what is stored)."""
    filled = messages.SyntheticDatasetSpec()
    filled.CopyFrom(message)
    if not filled.timeframe:
        filled.timeframe = bar_pb2.TIMEFRAME_1_DAY
    if not filled.HasField("start_time"):
        filled.start_time.FromNanoseconds(generator.DEFAULT_START_NS)
    filled.initial_price = filled.initial_price or generator.DEFAULT_PRICE
    filled.symbol = filled.symbol.strip() or "SYNTH"
    if not filled.regimes:
        filled.regimes.add(bars=1, drift=0.0, volatility=generator.DEFAULT_VOLATILITY)
    spec = generator.SyntheticSpec(
        seed=int(filled.seed),
        bar_count=int(filled.bar_count),
        interval_ns=interval_ns(timeframe_code(filled.timeframe)),
        symbol=filled.symbol,
        start_ns=int(filled.start_time.ToNanoseconds()),
        initial_price=float(filled.initial_price),
        regimes=tuple(
            generator.Regime(bars=int(item.bars), drift=float(item.drift), volatility=float(item.volatility))
            for item in filled.regimes
        ),
    )
    return spec, filled


def upload_metadata(message: messages.DatasetUploadMetadata) -> UploadMetadata:
    violations = []
    if message.format not in (messages.DATASET_FORMAT_UNSPECIFIED, *FORMAT_NAMES):
        violations.append(FieldViolation("metadata.format", f"unknown format {message.format}"))
    if message.timeframe and message.timeframe not in TIMEFRAME_CODES:
        violations.append(FieldViolation("metadata.timeframe", f"unknown timeframe {message.timeframe}"))
    if message.size_bytes < 0:
        violations.append(FieldViolation("metadata.size_bytes", "must not be negative"))
    if violations:
        raise InvalidArgument("invalid upload metadata", violations)
    return UploadMetadata(
        display_name=message.display_name,
        file_format=FORMAT_NAMES.get(message.format, ""),
        default_symbol=message.default_symbol,
        timeframe=timeframe_code(message.timeframe),
        timezone=message.timezone,
        size_bytes=message.size_bytes,
        request_id=message.request_id,
    )


async def upload_parts(
    requests: AsyncIterator[messages.UploadDatasetRequest],
) -> tuple[UploadMetadata, AsyncIterator[bytes]]:
    """The metadata of an upload stream (its first message) and its file's chunks (all the others)."""
    first = await anext(aiter(requests), None)
    if first is None or first.WhichOneof("payload") != "metadata":
        raise InvalidArgument(
            "an upload starts with its metadata",
            [FieldViolation("metadata", "the first message must carry the metadata")],
        )
    metadata = upload_metadata(first.metadata)

    async def chunks() -> AsyncIterator[bytes]:
        async for request in requests:
            if request.WhichOneof("payload") == "metadata":
                raise InvalidArgument(
                    "an upload has one metadata message",
                    [FieldViolation("metadata", "only the first message may carry metadata")],
                )
            yield request.chunk

    return metadata, chunks()
