-- Experiment tracking in the MLflow model: experiments group runs; a run has parameters (set once),
-- tags, and metrics as time series (every point kept; the latest per key kept beside them for search).

CREATE TABLE experiments (
    id              text PRIMARY KEY,
    owner_id        text NOT NULL,
    organization_id text NOT NULL DEFAULT '',
    display_name    text NOT NULL,
    description     text NOT NULL DEFAULT '',
    tags            jsonb NOT NULL DEFAULT '{}',
    request_id      text,
    request_hash    text,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);
CREATE UNIQUE INDEX experiments_display_name ON experiments (owner_id, lower(display_name));
CREATE UNIQUE INDEX experiments_request ON experiments (owner_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX experiments_recent ON experiments (owner_id, update_time DESC, id DESC);

CREATE TABLE experiment_runs (
    id              text PRIMARY KEY,
    experiment_id   text NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    owner_id        text NOT NULL,
    organization_id text NOT NULL DEFAULT '',
    display_name    text NOT NULL DEFAULT '',
    status          text NOT NULL,  -- RunStatus name without its prefix: RUNNING, FINISHED, ...
    start_time      timestamptz NOT NULL,
    end_time        timestamptz,
    job_id          text NOT NULL DEFAULT '',
    etag            bigint NOT NULL DEFAULT 1,
    request_id      text,
    request_hash    text
);
CREATE UNIQUE INDEX experiment_runs_request ON experiment_runs (owner_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX experiment_runs_owner ON experiment_runs (owner_id, start_time DESC, id);
CREATE INDEX experiment_runs_experiment ON experiment_runs (experiment_id, start_time DESC, id);
CREATE INDEX experiment_runs_job ON experiment_runs (job_id) WHERE job_id <> '';

CREATE TABLE experiment_params (
    run_id text NOT NULL REFERENCES experiment_runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX experiment_params_key ON experiment_params (key, value);

CREATE TABLE experiment_tags (
    run_id text NOT NULL REFERENCES experiment_runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX experiment_tags_key ON experiment_tags (key, value);

CREATE TABLE experiment_metrics (
    run_id   text NOT NULL REFERENCES experiment_runs (id) ON DELETE CASCADE,
    key      text NOT NULL,
    sequence bigserial,
    value    double precision NOT NULL,
    step     bigint NOT NULL,
    time     timestamptz NOT NULL,
    PRIMARY KEY (run_id, key, sequence)
);

-- the latest point of each key (highest step, then latest time): what searches and runs show
CREATE TABLE experiment_latest_metrics (
    run_id text NOT NULL REFERENCES experiment_runs (id) ON DELETE CASCADE,
    key    text NOT NULL,
    value  double precision NOT NULL,
    step   bigint NOT NULL,
    time   timestamptz NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX experiment_latest_metrics_key ON experiment_latest_metrics (key, value);
