-- Datasets. Each one's bars live in the content-addressed artifact store, in the canonical
-- columnar form (services/core/datasets/columnar.py); this table holds what lists, ownership
-- checks and lineage need, and the statistics computed once when the dataset was stored.
CREATE TABLE datasets (
    id              text PRIMARY KEY,
    owner_id        text NOT NULL,                 -- '' for platform datasets, visible to everyone
    organization_id text NOT NULL DEFAULT '',
    display_name    text NOT NULL,
    source_format   text NOT NULL CHECK (source_format IN ('csv', 'parquet', 'generated')),
    timeframe       text NOT NULL DEFAULT '',      -- '1m' ... '1w'; '' when unknown
    symbols         text[] NOT NULL,               -- sorted
    row_count       bigint NOT NULL CHECK (row_count > 0),
    start_ns        bigint NOT NULL,               -- open time of the first and last bar, ns UTC
    end_ns          bigint NOT NULL,
    content_hash    text NOT NULL,                 -- 'sha256:<hex>' of the canonical file
    artifact_digest text NOT NULL,                 -- that file's address in the artifact store
    size_bytes      bigint NOT NULL,
    generator       bytea,                         -- SyntheticDatasetSpec of generated datasets
    statistics      bytea NOT NULL,                -- DatasetStatistics
    request_id      text,                          -- idempotency key of the upload or generation
    create_time     timestamptz NOT NULL,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX datasets_listing ON datasets (owner_id, create_time DESC, id DESC);
CREATE INDEX datasets_symbols ON datasets USING gin (symbols);
CREATE INDEX datasets_artifact ON datasets (artifact_digest);
