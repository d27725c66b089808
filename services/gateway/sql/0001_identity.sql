-- Identity: organisations, users, API keys, refresh-token sessions and token signing keys.
-- Secrets are stored hashed (passwords: Argon2id; API keys and refresh tokens: SHA-256 of
-- 256 random bits), never in clear. Roles and tiers are the claims' lower-case words.
CREATE TABLE organizations (
    id           text PRIMARY KEY,
    display_name text NOT NULL,
    plan_tier    text NOT NULL CHECK (plan_tier IN ('basic', 'pro', 'premium')),
    owner_id     text NOT NULL,
    request_id   text,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    UNIQUE (owner_id, request_id)
);
CREATE UNIQUE INDEX organizations_display_name ON organizations (lower(display_name));

CREATE TABLE users (
    id              text PRIMARY KEY,
    email           text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    organization_id text REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    plan_tier       text NOT NULL CHECK (plan_tier IN ('basic', 'pro', 'premium')),
    disabled        boolean NOT NULL DEFAULT false,
    -- bumped by every update; the etag clients send back
    version         bigint NOT NULL DEFAULT 1,
    created_by      text,
    request_id      text,
    join_time       timestamptz,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL,
    last_login_time timestamptz,
    UNIQUE (created_by, request_id)
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_organization ON users (organization_id, lower(email), id);

CREATE TABLE api_keys (
    id             text PRIMARY KEY,
    owner_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    display_name   text NOT NULL,
    prefix         text NOT NULL,
    secret_digest  bytea NOT NULL,
    role           text NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    request_id     text,
    expire_time    timestamptz,
    create_time    timestamptz NOT NULL,
    last_used_time timestamptz,
    revoke_time    timestamptz,
    UNIQUE (owner_id, request_id)
);
CREATE INDEX api_keys_owner ON api_keys (owner_id, create_time DESC, id DESC);

-- one row per refresh token; the tokens of one sign-in share a session_id
CREATE TABLE refresh_tokens (
    id            text PRIMARY KEY,
    session_id    text NOT NULL,
    user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_digest bytea NOT NULL,
    create_time   timestamptz NOT NULL,
    expire_time   timestamptz NOT NULL,
    -- set when it was exchanged for its successor; presenting it again revokes the session
    rotate_time   timestamptz,
    revoke_time   timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoke_time IS NULL;

CREATE TABLE signing_keys (
    kid           text PRIMARY KEY,
    -- PKCS#8 PEM, encrypted when ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE is set
    private_key   bytea NOT NULL,
    create_time   timestamptz NOT NULL,
    activate_time timestamptz,
    retire_time   timestamptz
);
