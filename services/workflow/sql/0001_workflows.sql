-- Workflows, their immutable versions and their executions. Message bodies are stored
-- as the protobuf bytes (the contract is their schema); the columns beside them are
-- what ownership checks, filters, ordering and paging need.
CREATE TABLE workflows (
    id              text PRIMARY KEY,
    owner_id        text NOT NULL,
    organization_id text NOT NULL DEFAULT '',
    display_name    text NOT NULL,
    version         bigint NOT NULL,
    template_id     text NOT NULL DEFAULT '',
    request_id      text,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL,
    delete_time     timestamptz,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX workflows_owner_updated ON workflows (owner_id, update_time DESC, id) WHERE delete_time IS NULL;
CREATE INDEX workflows_organization ON workflows (organization_id) WHERE delete_time IS NULL;

CREATE TABLE workflow_versions (
    workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     bigint NOT NULL,
    body        bytea NOT NULL,  -- alphintra.workflow.v1.WorkflowVersion
    create_time timestamptz NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE executions (
    id               text PRIMARY KEY,
    workflow_id      text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    owner_id         text NOT NULL,
    organization_id  text NOT NULL DEFAULT '',
    mode             smallint NOT NULL,
    state            smallint NOT NULL,
    request_id       text,
    body             bytea NOT NULL,  -- alphintra.workflow.v1.Execution
    create_time      timestamptz NOT NULL,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX executions_workflow ON executions (workflow_id, create_time DESC, id);
CREATE INDEX executions_owner ON executions (owner_id, create_time DESC, id);
