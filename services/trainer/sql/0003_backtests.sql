-- Stored backtests. Each runs as a job (jobs.id = job_id): its state, error and times are the job's;
-- the result, trades and HTML report are written here by the job when it succeeds.
CREATE TABLE backtests (
    id                   text PRIMARY KEY,
    owner_id             text NOT NULL,
    organization_id      text NOT NULL DEFAULT '',
    display_name         text NOT NULL DEFAULT '',
    spec                 bytea NOT NULL,   -- StrategySpec
    config               bytea NOT NULL,   -- BacktestConfig
    dataset_id           text NOT NULL,
    workflow_id          text NOT NULL DEFAULT '',
    workflow_version     bigint NOT NULL DEFAULT 0,
    job_id               text NOT NULL DEFAULT '',  -- set right after the job is queued
    request_id           text NOT NULL DEFAULT '',
    request_hash         text NOT NULL DEFAULT '',
    dataset_content_hash text NOT NULL DEFAULT '',
    result               bytea,            -- BacktestResult without trades
    trades               bytea,            -- BacktestResult holding only the trades, in entry order
    trade_count          integer NOT NULL DEFAULT 0,
    report_digest        text NOT NULL DEFAULT '',   -- the HTML report in the artifact store
    create_time          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backtests_owner ON backtests (owner_id, create_time DESC, id DESC);
CREATE INDEX backtests_organization ON backtests (organization_id, create_time DESC, id DESC);
CREATE UNIQUE INDEX backtests_request ON backtests (owner_id, request_id) WHERE request_id <> '';
