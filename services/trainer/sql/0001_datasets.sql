-- Datasets: files live in the content-addressed artifact store, metadata here.
CREATE TABLE datasets (
    id           text PRIMARY KEY,
    owner_id     text NOT NULL,  -- '' for platform datasets, visible to everyone
    display_name text NOT NULL,
    content_hash text NOT NULL,
    row_count    bigint NOT NULL,
    body         bytea NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_owner ON datasets (owner_id, create_time DESC);
