-- webhooks_version moves whenever one of the account's webhooks is created,
-- changed or deleted, by whichever process: the signal path keeps the webhooks
-- in memory and reads this number, not the webhooks, in each transaction
-- (sqlutil.HookCache). Triggers, so no write can forget it.
ALTER TABLE accounts ADD COLUMN webhooks_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER webhooks_version_insert AFTER INSERT ON webhooks BEGIN
    UPDATE accounts SET webhooks_version = webhooks_version + 1 WHERE id = NEW.account_id;
END;

CREATE TRIGGER webhooks_version_update AFTER UPDATE ON webhooks BEGIN
    UPDATE accounts SET webhooks_version = webhooks_version + 1 WHERE id IN (OLD.account_id, NEW.account_id);
END;

CREATE TRIGGER webhooks_version_delete AFTER DELETE ON webhooks BEGIN
    UPDATE accounts SET webhooks_version = webhooks_version + 1 WHERE id = OLD.account_id;
END;
