-- The model registry: models, their numbered versions, aliases and every alias change.
-- Bodies are protobuf messages (Model, ModelVersion, RetrainingSchedule, TrainingJobConfig);
-- the columns beside them are what queries filter and sort on.
CREATE TABLE registry_models (
    name            text PRIMARY KEY,
    owner_id        text NOT NULL,
    organization_id text NOT NULL DEFAULT '',
    body            bytea NOT NULL,
    latest_version  bigint NOT NULL DEFAULT 0,
    request_id      text,
    schedule        bytea,
    next_run_time   timestamptz,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);
CREATE UNIQUE INDEX registry_models_request ON registry_models (owner_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX registry_models_owner ON registry_models (owner_id, name);
-- the retraining scheduler reads due schedules with FOR UPDATE SKIP LOCKED
CREATE INDEX registry_models_due ON registry_models (next_run_time) WHERE next_run_time IS NOT NULL;

CREATE TABLE registry_versions (
    model_name      text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
    version         bigint NOT NULL,
    body            bytea NOT NULL,
    artifact_digest text NOT NULL,
    -- the TrainingJobConfig that produced it (spec, dataset, training config), for retraining
    training_job    bytea,
    request_id      text,
    create_time     timestamptz NOT NULL,
    PRIMARY KEY (model_name, version)
);
CREATE UNIQUE INDEX registry_versions_request ON registry_versions (model_name, request_id)
    WHERE request_id IS NOT NULL;

CREATE TABLE registry_aliases (
    model_name  text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
    alias       text NOT NULL,
    version     bigint NOT NULL,
    update_time timestamptz NOT NULL,
    PRIMARY KEY (model_name, alias),
    FOREIGN KEY (model_name, version) REFERENCES registry_versions (model_name, version)
);

CREATE TABLE registry_alias_changes (
    id               bigserial PRIMARY KEY,
    model_name       text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
    alias            text NOT NULL,
    version          bigint NOT NULL,  -- 0: deleted
    previous_version bigint NOT NULL,  -- 0: created
    actor_id         text NOT NULL,
    reason           text NOT NULL,
    change_time      timestamptz NOT NULL
);
CREATE INDEX registry_alias_changes_alias ON registry_alias_changes (model_name, alias, id DESC);
