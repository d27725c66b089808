-- Workflows and their immutable versions. The graph is stored as the protobuf message's
-- bytes (the contract is the schema); the columns beside it are what queries filter on.
CREATE TABLE workflows (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL,
    display_name text NOT NULL,
    version     bigint NOT NULL,
    template_id text NOT NULL DEFAULT '',
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    delete_time timestamptz
);
CREATE INDEX workflows_owner ON workflows (owner_id, update_time DESC) WHERE delete_time IS NULL;

CREATE TABLE workflow_versions (
    workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     bigint NOT NULL,
    body        bytea NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, version)
);
