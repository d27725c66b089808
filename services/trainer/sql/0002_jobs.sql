-- The job queue and every job's stored events.
-- Workers take jobs with FOR UPDATE SKIP LOCKED and hold them under a lease they renew.
CREATE TABLE jobs (
    id            text PRIMARY KEY,
    owner_id      text NOT NULL,
    kind          text NOT NULL,
    state         text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    body          bytea NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    lease_owner   text,
    lease_expires timestamptz,
    run_after     timestamptz NOT NULL DEFAULT now(),
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (run_after) WHERE state = 'queued';
CREATE INDEX jobs_owner ON jobs (owner_id, create_time DESC);

-- Every event of a job is stored, so a late or reconnecting watcher replays from the start.
CREATE TABLE job_events (
    job_id   text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sequence bigint NOT NULL,
    body     bytea NOT NULL,
    time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, sequence)
);
