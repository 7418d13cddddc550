-- webhooks_version moves whenever one of the account's webhooks is created,
-- changed or deleted, by whichever replica: the signal path keeps the webhooks
-- in memory and reads this number, not the webhooks, in each transaction
-- (sqlutil.HookCache). A trigger, so no write can forget it.
ALTER TABLE accounts ADD COLUMN webhooks_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION bump_webhooks_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET webhooks_version = webhooks_version + 1 WHERE id = OLD.account_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.account_id <> OLD.account_id) THEN
        UPDATE accounts SET webhooks_version = webhooks_version + 1 WHERE id = NEW.account_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER webhooks_version AFTER INSERT OR UPDATE OR DELETE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION bump_webhooks_version();
