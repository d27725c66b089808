-- The job queue and every job's stored events.
-- Workers take jobs with FOR UPDATE SKIP LOCKED and hold them under a lease they renew by heartbeats;
-- a job whose lease expired (its worker died) is taken again by any worker.
CREATE TABLE jobs (
    id                 text PRIMARY KEY,
    owner_id           text NOT NULL,
    organization_id    text NOT NULL DEFAULT '',
    kind               integer NOT NULL,
    state              text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- the Job message as created (display name, kind, config, limits, provenance); the columns below
    -- hold what changes while it runs
    definition         bytea NOT NULL,
    workflow_id        text NOT NULL DEFAULT '',
    timeout_seconds    double precision NOT NULL,
    memory_limit_bytes bigint NOT NULL,
    max_attempts       integer NOT NULL,
    attempts           integer NOT NULL DEFAULT 0,
    progress_fraction  double precision NOT NULL DEFAULT 0,
    cpu_seconds        double precision NOT NULL DEFAULT 0,
    -- CPU of the attempt running now, as of its last heartbeat (counted if its worker dies)
    attempt_cpu_seconds double precision NOT NULL DEFAULT 0,
    error              bytea,          -- google.rpc.Status when failed or cancelled
    result             bytea,          -- JobResult when succeeded
    worker_id          text NOT NULL DEFAULT '',
    lease_expires      timestamptz,
    run_after          timestamptz NOT NULL DEFAULT now(),
    cancel_requested   boolean NOT NULL DEFAULT false,
    cancel_reason      text NOT NULL DEFAULT '',
    request_id         text NOT NULL DEFAULT '',
    request_hash       text NOT NULL DEFAULT '',
    last_sequence      bigint NOT NULL DEFAULT 0,
    create_time        timestamptz NOT NULL DEFAULT now(),
    start_time         timestamptz,
    end_time           timestamptz,
    update_time        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (run_after, create_time) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires) WHERE state = 'running';
CREATE INDEX jobs_owner ON jobs (owner_id, create_time DESC, id DESC);
CREATE INDEX jobs_organization ON jobs (organization_id, create_time DESC, id DESC);
CREATE UNIQUE INDEX jobs_request ON jobs (owner_id, request_id) WHERE request_id <> '';

-- Every event of a job is stored, so a late or reconnecting watcher replays from the start.
-- Sequences come from jobs.last_sequence, incremented under the job's row lock: 1, 2, 3... without gaps.
CREATE TABLE job_events (
    job_id   text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sequence bigint NOT NULL,
    kind     text NOT NULL,         -- the JobEvent oneof member: state_change, progress, log_line, metric
    level    smallint NOT NULL DEFAULT 0,  -- LogLevel of log_line events
    body     bytea NOT NULL,        -- the JobEvent message
    PRIMARY KEY (job_id, sequence)
);
CREATE INDEX job_events_logs ON job_events (job_id, sequence) WHERE kind = 'log_line';

-- CPU time used by each owner's jobs, all attempts included (what a plan's accounting reads).
CREATE TABLE job_owner_usage (
    owner_id    text PRIMARY KEY,
    cpu_seconds double precision NOT NULL DEFAULT 0,
    job_count   bigint NOT NULL DEFAULT 0
);
