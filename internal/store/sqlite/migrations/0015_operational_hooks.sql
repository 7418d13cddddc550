-- Operational events (webhookDisabled, deliveryExhausted, ...) go to the
-- account's webhooks with is_operational_hooks. secret_expiring_sent is the
-- previous_secret_expires_at whose secretExpiring event was sent (0: none), so
-- one replica sends it once.
ALTER TABLE webhooks ADD COLUMN is_operational_hooks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN secret_expiring_sent INTEGER NOT NULL DEFAULT 0;
