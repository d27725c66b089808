-- Signal history, filled off the hot path from the log by the history writer (a consumer group);
-- queried per owner (or organisation, for admins) by time, symbol, strategy and action, newest first.
CREATE TABLE signals (
    owner_id        text NOT NULL,
    signal_id       text NOT NULL,
    organization_id text NOT NULL,
    strategy_id     text NOT NULL,
    symbol          text NOT NULL,
    action          smallint NOT NULL,
    time            timestamptz NOT NULL,   -- the signal's timestamp
    log_offset      text NOT NULL,          -- where it is in the log
    body            bytea NOT NULL,         -- the Signal protobuf as stored
    PRIMARY KEY (owner_id, signal_id)
);
CREATE INDEX signals_owner_time ON signals (owner_id, time DESC, signal_id DESC);
CREATE INDEX signals_owner_symbol_time ON signals (owner_id, symbol, time DESC);
CREATE INDEX signals_owner_strategy_time ON signals (owner_id, strategy_id, time DESC);
CREATE INDEX signals_organization_time ON signals (organization_id, time DESC) WHERE organization_id <> '';
