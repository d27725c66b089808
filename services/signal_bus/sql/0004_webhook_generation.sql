-- A counter every change to which webhooks match which signals moves, in the same transaction as
-- the change: a matcher that sees the counter unchanged knows its cached webhooks are current, and
-- one that sees it moved reloads before matching, so a signal appended after a webhook was created
-- (or enabled, or refiltered) is always matched against it, on every bus process.
CREATE TABLE webhook_generation (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL
);
INSERT INTO webhook_generation (generation) VALUES (0);

CREATE FUNCTION bump_webhook_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I.webhook_generation SET generation = generation + 1', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER webhooks_matching_changed
    AFTER INSERT OR DELETE OR UPDATE OF owner_id, filter, enabled ON webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_webhook_generation();
