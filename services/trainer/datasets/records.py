"""A stored dataset's description, as both database drivers return it (asyncpg and psycopg)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.ownership import Ownership

RESOURCE = "dataset"
# the columns a record is made of, in SELECT order
COLUMNS = (
    "id, owner_id, organization_id, display_name, source_format, timeframe, symbols, row_count, "
    "start_ns, end_ns, content_hash, artifact_digest, size_bytes, generator, request_id, create_time"
)


def resource_name(dataset_id: str) -> str:
    return f"datasets/{dataset_id}"


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    id: str
    owner_id: str  # '' for a platform dataset
    organization_id: str
    display_name: str
    source_format: str  # "csv", "parquet" or "generated"
    timeframe: str  # a code of services.core.datasets.timeframes; '' when unknown
    symbols: tuple[str, ...]
    row_count: int
    start_ns: int
    end_ns: int
    content_hash: str  # "sha256:<hex>"
    artifact_digest: str
    size_bytes: int
    generator: bytes | None  # the SyntheticDatasetSpec of a generated dataset
    request_id: str | None
    create_time: datetime

    @property
    def platform(self) -> bool:
        return self.owner_id == ""

    @property
    def ownership(self) -> Ownership:
        return Ownership(self.owner_id, self.organization_id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DatasetRecord:
        generator = row["generator"]
        return cls(
            id=row["id"],
            owner_id=row["owner_id"],
            organization_id=row["organization_id"],
            display_name=row["display_name"],
            source_format=row["source_format"],
            timeframe=row["timeframe"],
            symbols=tuple(row["symbols"]),
            row_count=int(row["row_count"]),
            start_ns=int(row["start_ns"]),
            end_ns=int(row["end_ns"]),
            content_hash=row["content_hash"],
            artifact_digest=row["artifact_digest"],
            size_bytes=int(row["size_bytes"]),
            generator=None if generator is None else bytes(generator),
            request_id=row["request_id"],
            create_time=row["create_time"],
        )
