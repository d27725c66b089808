import datetime

from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_FORMAT_UNSPECIFIED: _ClassVar[DatasetFormat]
    DATASET_FORMAT_CSV: _ClassVar[DatasetFormat]
    DATASET_FORMAT_PARQUET: _ClassVar[DatasetFormat]

class DatasetScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_SCOPE_UNSPECIFIED: _ClassVar[DatasetScope]
    DATASET_SCOPE_ALL: _ClassVar[DatasetScope]
    DATASET_SCOPE_OWN: _ClassVar[DatasetScope]
    DATASET_SCOPE_PLATFORM: _ClassVar[DatasetScope]
DATASET_FORMAT_UNSPECIFIED: DatasetFormat
DATASET_FORMAT_CSV: DatasetFormat
DATASET_FORMAT_PARQUET: DatasetFormat
DATASET_SCOPE_UNSPECIFIED: DatasetScope
DATASET_SCOPE_ALL: DatasetScope
DATASET_SCOPE_OWN: DatasetScope
DATASET_SCOPE_PLATFORM: DatasetScope

class Dataset(_message.Message):
    __slots__ = ("name", "id", "owner_id", "platform", "display_name", "source_format", "timeframe", "symbols", "row_count", "start_time", "end_time", "content_hash", "size_bytes", "generator", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    platform: bool
    display_name: str
    source_format: DatasetFormat
    timeframe: _bar_pb2.Timeframe
    symbols: _containers.RepeatedScalarFieldContainer[str]
    row_count: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    content_hash: str
    size_bytes: int
    generator: SyntheticDatasetSpec
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., platform: _Optional[bool] = ..., display_name: _Optional[str] = ..., source_format: _Optional[_Union[DatasetFormat, str]] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., symbols: _Optional[_Iterable[str]] = ..., row_count: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., content_hash: _Optional[str] = ..., size_bytes: _Optional[int] = ..., generator: _Optional[_Union[SyntheticDatasetSpec, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DatasetUploadMetadata(_message.Message):
    __slots__ = ("display_name", "format", "default_symbol", "timeframe", "timezone", "size_bytes", "request_id")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    format: DatasetFormat
    default_symbol: str
    timeframe: _bar_pb2.Timeframe
    timezone: str
    size_bytes: int
    request_id: str
    def __init__(self, display_name: _Optional[str] = ..., format: _Optional[_Union[DatasetFormat, str]] = ..., default_symbol: _Optional[str] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., timezone: _Optional[str] = ..., size_bytes: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class UploadDatasetRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: DatasetUploadMetadata
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[DatasetUploadMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadDatasetResponse(_message.Message):
    __slots__ = ("dataset", "warnings")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class GetDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "scope", "symbol", "timeframe")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    scope: DatasetScope
    symbol: str
    timeframe: _bar_pb2.Timeframe
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., scope: _Optional[_Union[DatasetScope, str]] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ...) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ("datasets", "next_page_token")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    next_page_token: str
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class DeleteDatasetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PreviewDatasetRequest(_message.Message):
    __slots__ = ("dataset_id", "head_rows", "tail_rows", "symbol")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    HEAD_ROWS_FIELD_NUMBER: _ClassVar[int]
    TAIL_ROWS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    head_rows: int
    tail_rows: int
    symbol: str
    def __init__(self, dataset_id: _Optional[str] = ..., head_rows: _Optional[int] = ..., tail_rows: _Optional[int] = ..., symbol: _Optional[str] = ...) -> None: ...

class PreviewDatasetResponse(_message.Message):
    __slots__ = ("head", "tail", "row_count")
    HEAD_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    head: _containers.RepeatedCompositeFieldContainer[_bar_pb2.Bar]
    tail: _containers.RepeatedCompositeFieldContainer[_bar_pb2.Bar]
    row_count: int
    def __init__(self, head: _Optional[_Iterable[_Union[_bar_pb2.Bar, _Mapping]]] = ..., tail: _Optional[_Iterable[_Union[_bar_pb2.Bar, _Mapping]]] = ..., row_count: _Optional[int] = ...) -> None: ...

class ReadDatasetBarsRequest(_message.Message):
    __slots__ = ("dataset_id", "symbol", "start_time", "end_time", "max_bars")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_BARS_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    max_bars: int
    def __init__(self, dataset_id: _Optional[str] = ..., symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_bars: _Optional[int] = ...) -> None: ...

class ReadDatasetBarsResponse(_message.Message):
    __slots__ = ("bars",)
    BARS_FIELD_NUMBER: _ClassVar[int]
    bars: _containers.RepeatedCompositeFieldContainer[_bar_pb2.Bar]
    def __init__(self, bars: _Optional[_Iterable[_Union[_bar_pb2.Bar, _Mapping]]] = ...) -> None: ...

class GetDatasetStatisticsRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class GetDatasetStatisticsResponse(_message.Message):
    __slots__ = ("statistics",)
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    statistics: DatasetStatistics
    def __init__(self, statistics: _Optional[_Union[DatasetStatistics, _Mapping]] = ...) -> None: ...

class ColumnStatistics(_message.Message):
    __slots__ = ("column", "count", "mean", "standard_deviation", "minimum", "maximum", "median")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STANDARD_DEVIATION_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIELD_NUMBER: _ClassVar[int]
    column: str
    count: int
    mean: float
    standard_deviation: float
    minimum: float
    maximum: float
    median: float
    def __init__(self, column: _Optional[str] = ..., count: _Optional[int] = ..., mean: _Optional[float] = ..., standard_deviation: _Optional[float] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., median: _Optional[float] = ...) -> None: ...

class Gap(_message.Message):
    __slots__ = ("symbol", "start_time", "end_time", "missing_bars")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MISSING_BARS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    missing_bars: int
    def __init__(self, symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., missing_bars: _Optional[int] = ...) -> None: ...

class GapReport(_message.Message):
    __slots__ = ("expected_bars", "missing_bars", "gap_count", "largest_gaps")
    EXPECTED_BARS_FIELD_NUMBER: _ClassVar[int]
    MISSING_BARS_FIELD_NUMBER: _ClassVar[int]
    GAP_COUNT_FIELD_NUMBER: _ClassVar[int]
    LARGEST_GAPS_FIELD_NUMBER: _ClassVar[int]
    expected_bars: int
    missing_bars: int
    gap_count: int
    largest_gaps: _containers.RepeatedCompositeFieldContainer[Gap]
    def __init__(self, expected_bars: _Optional[int] = ..., missing_bars: _Optional[int] = ..., gap_count: _Optional[int] = ..., largest_gaps: _Optional[_Iterable[_Union[Gap, _Mapping]]] = ...) -> None: ...

class HistogramBin(_message.Message):
    __slots__ = ("lower", "upper", "count")
    LOWER_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    lower: float
    upper: float
    count: int
    def __init__(self, lower: _Optional[float] = ..., upper: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class ReturnsDistribution(_message.Message):
    __slots__ = ("mean", "standard_deviation", "skewness", "kurtosis", "minimum", "maximum", "percentiles", "histogram")
    MEAN_FIELD_NUMBER: _ClassVar[int]
    STANDARD_DEVIATION_FIELD_NUMBER: _ClassVar[int]
    SKEWNESS_FIELD_NUMBER: _ClassVar[int]
    KURTOSIS_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    PERCENTILES_FIELD_NUMBER: _ClassVar[int]
    HISTOGRAM_FIELD_NUMBER: _ClassVar[int]
    mean: float
    standard_deviation: float
    skewness: float
    kurtosis: float
    minimum: float
    maximum: float
    percentiles: _containers.RepeatedCompositeFieldContainer[_backtest_pb2.Percentile]
    histogram: _containers.RepeatedCompositeFieldContainer[HistogramBin]
    def __init__(self, mean: _Optional[float] = ..., standard_deviation: _Optional[float] = ..., skewness: _Optional[float] = ..., kurtosis: _Optional[float] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., percentiles: _Optional[_Iterable[_Union[_backtest_pb2.Percentile, _Mapping]]] = ..., histogram: _Optional[_Iterable[_Union[HistogramBin, _Mapping]]] = ...) -> None: ...

class DatasetStatistics(_message.Message):
    __slots__ = ("row_count", "start_time", "end_time", "rows_per_symbol", "columns", "gaps", "returns")
    class RowsPerSymbolEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_PER_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    row_count: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    rows_per_symbol: _containers.ScalarMap[str, int]
    columns: _containers.RepeatedCompositeFieldContainer[ColumnStatistics]
    gaps: GapReport
    returns: ReturnsDistribution
    def __init__(self, row_count: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows_per_symbol: _Optional[_Mapping[str, int]] = ..., columns: _Optional[_Iterable[_Union[ColumnStatistics, _Mapping]]] = ..., gaps: _Optional[_Union[GapReport, _Mapping]] = ..., returns: _Optional[_Union[ReturnsDistribution, _Mapping]] = ...) -> None: ...

class MarketRegime(_message.Message):
    __slots__ = ("bars", "drift", "volatility")
    BARS_FIELD_NUMBER: _ClassVar[int]
    DRIFT_FIELD_NUMBER: _ClassVar[int]
    VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    bars: int
    drift: float
    volatility: float
    def __init__(self, bars: _Optional[int] = ..., drift: _Optional[float] = ..., volatility: _Optional[float] = ...) -> None: ...

class SyntheticDatasetSpec(_message.Message):
    __slots__ = ("seed", "bar_count", "timeframe", "symbol", "start_time", "initial_price", "regimes")
    SEED_FIELD_NUMBER: _ClassVar[int]
    BAR_COUNT_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    INITIAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    REGIMES_FIELD_NUMBER: _ClassVar[int]
    seed: int
    bar_count: int
    timeframe: _bar_pb2.Timeframe
    symbol: str
    start_time: _timestamp_pb2.Timestamp
    initial_price: float
    regimes: _containers.RepeatedCompositeFieldContainer[MarketRegime]
    def __init__(self, seed: _Optional[int] = ..., bar_count: _Optional[int] = ..., timeframe: _Optional[_Union[_bar_pb2.Timeframe, str]] = ..., symbol: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., initial_price: _Optional[float] = ..., regimes: _Optional[_Iterable[_Union[MarketRegime, _Mapping]]] = ...) -> None: ...

class GeneratePlatformDatasetRequest(_message.Message):
    __slots__ = ("spec", "display_name", "platform", "request_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    spec: SyntheticDatasetSpec
    display_name: str
    platform: bool
    request_id: str
    def __init__(self, spec: _Optional[_Union[SyntheticDatasetSpec, _Mapping]] = ..., display_name: _Optional[str] = ..., platform: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class GeneratePlatformDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: Dataset
    def __init__(self, dataset: _Optional[_Union[Dataset, _Mapping]] = ...) -> None: ...
