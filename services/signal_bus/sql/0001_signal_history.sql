-- Signal history, filled off the hot path from the log; queried by time, symbol, strategy, action.
CREATE TABLE signals (
    signal_id   text PRIMARY KEY,
    owner_id    text NOT NULL,
    strategy_id text NOT NULL,
    symbol      text NOT NULL,
    action      smallint NOT NULL,
    time        timestamptz NOT NULL,
    log_offset  text NOT NULL,
    body        bytea NOT NULL
);
CREATE INDEX signals_owner_time ON signals (owner_id, time DESC);
CREATE INDEX signals_owner_symbol_time ON signals (owner_id, symbol, time DESC);
CREATE INDEX signals_owner_strategy_time ON signals (owner_id, strategy_id, time DESC);
