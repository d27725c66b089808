-- Webhooks per owner, and every delivery to them (the per-webhook delivery log and dead letters).
CREATE TABLE webhooks (
    id                          text PRIMARY KEY,
    owner_id                    text NOT NULL,
    organization_id             text NOT NULL,
    display_name                text NOT NULL,
    url                         text NOT NULL,
    filter                      bytea NOT NULL,       -- SignalFilter protobuf
    enabled                     boolean NOT NULL,
    max_attempts                integer NOT NULL,
    secret                      text NOT NULL,
    previous_secret             text,
    previous_secret_expire_time timestamptz,
    request_id                  text,
    etag                        text NOT NULL,
    consecutive_failures        integer NOT NULL DEFAULT 0,
    last_success_time           timestamptz,
    last_failure_time           timestamptz,
    last_error                  text NOT NULL DEFAULT '',
    create_time                 timestamptz NOT NULL,
    update_time                 timestamptz NOT NULL,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX webhooks_owner_create_time ON webhooks (owner_id, create_time DESC, id DESC);

CREATE TABLE webhook_deliveries (
    id                text PRIMARY KEY,
    webhook_id        text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    signal_id         text NOT NULL,
    log_offset        text NOT NULL,
    body              bytea NOT NULL,                 -- the Signal protobuf
    state             smallint NOT NULL,              -- DeliveryState
    attempts          integer NOT NULL DEFAULT 0,
    last_status_code  integer NOT NULL DEFAULT 0,
    last_error        text NOT NULL DEFAULT '',
    create_time       timestamptz NOT NULL,
    last_attempt_time timestamptz,
    next_attempt_time timestamptz,
    dead_letter_time  timestamptz,
    UNIQUE (webhook_id, signal_id)
);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, create_time DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time) WHERE state = 1;
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (webhook_id, dead_letter_time, id) WHERE state = 3;
