-- Identity: organisations, users and API keys. Secrets are stored hashed, never in clear.
CREATE TABLE organizations (
    id          text PRIMARY KEY,
    display_name text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              text PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    organization_id text REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    tier            text NOT NULL CHECK (tier IN ('basic', 'pro', 'premium')),
    disabled        boolean NOT NULL DEFAULT false,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prefix      text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    scopes      text[] NOT NULL DEFAULT '{}',
    create_time timestamptz NOT NULL DEFAULT now(),
    revoke_time timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);
