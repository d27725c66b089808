-- Live deployments, restored when a predictor restarts.
CREATE TABLE deployments (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL,
    state       text NOT NULL,
    body        bytea NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_owner ON deployments (owner_id, create_time DESC);
