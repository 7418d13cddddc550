-- Secret rotation with an overlap: after refreshSecret the replaced secret
-- keeps signing (a second webhook-signature entry) until
-- previous_secret_expires_at (epoch µs; 0: no overlap).
ALTER TABLE webhooks ADD COLUMN previous_secret text NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at bigint NOT NULL DEFAULT 0;
