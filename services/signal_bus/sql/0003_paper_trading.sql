-- Paper-trading accounts: their settings, their book and their cursors in one row, so that the
-- consumer commits what a batch of signals and bars did together with where it stopped reading.
-- Orders, trades and equity points are kept per reset (`epoch` = the account's reset_count when
-- they happened); a reset archives them by moving the account to the next epoch.
CREATE TABLE paper_accounts (
    id                      text PRIMARY KEY,
    owner_id                text NOT NULL,
    organization_id         text NOT NULL,
    display_name            text NOT NULL,
    initial_cash            double precision NOT NULL,
    commission              double precision NOT NULL,
    slippage                double precision NOT NULL,
    allow_short             boolean NOT NULL,
    strategy_ids            text[] NOT NULL,
    deployment_ids          text[] NOT NULL,
    max_position_fraction   double precision NOT NULL,
    max_exposure_fraction   double precision NOT NULL,
    max_daily_loss_fraction double precision NOT NULL,
    timeframe               smallint NOT NULL,   -- bar topic of a symbol whose signal names none
    reset_count             integer NOT NULL DEFAULT 0,
    book                    jsonb,               -- services.core.signals.paper_state; NULL = all cash
    log_namespace           text NOT NULL,       -- the bus topic prefix the cursors are offsets in
    signal_offset           text NOT NULL,       -- last entry of the signal topic taken into account
    bar_cursors             jsonb NOT NULL,      -- symbol -> {"topic", "offset"}: last bar applied
    signals_applied         bigint NOT NULL DEFAULT 0,
    request_id              text,
    etag                    text NOT NULL,
    create_time             timestamptz NOT NULL,
    update_time             timestamptz NOT NULL,
    last_reset_time         timestamptz,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX paper_accounts_owner ON paper_accounts (owner_id, create_time DESC, id DESC);
CREATE INDEX paper_accounts_organization ON paper_accounts (organization_id, create_time DESC, id DESC);
CREATE INDEX paper_accounts_namespace ON paper_accounts (log_namespace);

CREATE TABLE paper_orders (
    account_id     text NOT NULL REFERENCES paper_accounts (id) ON DELETE CASCADE,
    epoch          integer NOT NULL,
    id             text NOT NULL,
    sequence       bigint GENERATED ALWAYS AS IDENTITY,
    signal_id      text NOT NULL,
    strategy_id    text NOT NULL,
    symbol         text NOT NULL,
    side           smallint NOT NULL,            -- OrderSide; 0 for a CLOSE order
    quantity       double precision NOT NULL,    -- 0: all in (BUY/SELL) or the whole position (CLOSE)
    order_type     smallint NOT NULL,
    time_in_force  smallint NOT NULL,
    limit_price    double precision NOT NULL,
    stop_price     double precision NOT NULL,
    state          smallint NOT NULL,            -- OrderState
    refusal_reason text NOT NULL,
    fill_price     double precision,
    create_time_ns bigint NOT NULL,              -- the signal's time
    fill_time_ns   bigint,
    PRIMARY KEY (account_id, id),
    -- a signal is applied to an account once per epoch: the consumer's exactly-once, enforced
    UNIQUE (account_id, epoch, signal_id)
);
CREATE INDEX paper_orders_list ON paper_orders (account_id, epoch, sequence DESC);

CREATE TABLE paper_trades (
    account_id     text NOT NULL REFERENCES paper_accounts (id) ON DELETE CASCADE,
    epoch          integer NOT NULL,
    sequence       bigint GENERATED ALWAYS AS IDENTITY,
    id             text NOT NULL,
    order_id       text NOT NULL,                -- '' for a stop-loss / take-profit exit
    signal_id      text NOT NULL,
    symbol         text NOT NULL,
    side           smallint NOT NULL,            -- Side: 1 buy, -1 sell
    quantity       double precision NOT NULL,
    price          double precision NOT NULL,
    commission     double precision NOT NULL,
    slippage_cost  double precision NOT NULL,
    realized_pnl   double precision NOT NULL,
    time_ns        bigint NOT NULL,
    reason         smallint NOT NULL,            -- FillReason
    closing        boolean NOT NULL,
    entry_price    double precision NOT NULL,
    entry_time_ns  bigint NOT NULL,
    PRIMARY KEY (account_id, sequence)
);
CREATE INDEX paper_trades_list ON paper_trades (account_id, epoch, sequence DESC);

CREATE TABLE paper_equity (
    account_id text NOT NULL REFERENCES paper_accounts (id) ON DELETE CASCADE,
    epoch      integer NOT NULL,
    sequence   bigint GENERATED ALWAYS AS IDENTITY,
    time_ns    bigint NOT NULL,                  -- the bar that marked it
    equity     double precision NOT NULL,
    symbol     text NOT NULL,
    close      double precision NOT NULL,
    PRIMARY KEY (account_id, sequence)
);
CREATE INDEX paper_equity_curve ON paper_equity (account_id, epoch, sequence);
