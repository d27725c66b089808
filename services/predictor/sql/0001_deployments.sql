-- Live deployments: what each one runs (the Deployment message), its state and its last saved
-- statistics. Running deployments are restarted from here when a predictor starts.
CREATE TABLE deployments (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL,
    tier        text NOT NULL,
    -- the caller's idempotency key and a hash of what it asked for (ALREADY_EXISTS on a different reuse)
    request_id  text,
    request_hash text,
    -- DeploymentState number (1 starting, 2 running, 3 stopping, 4 stopped, 5 failed)
    state       smallint NOT NULL,
    -- the Deployment message as created (statistics, state and times live in their own columns)
    body        bytea NOT NULL,
    statistics  bytea,
    error       bytea,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    stop_time   timestamptz,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX deployments_owner ON deployments (owner_id, create_time DESC, id DESC);
CREATE INDEX deployments_active ON deployments (state) WHERE state IN (1, 2);
