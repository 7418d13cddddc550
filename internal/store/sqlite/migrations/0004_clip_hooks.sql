-- Millicast's isClipHooks: its official clients send it on every create and
-- update, so it is stored and returned. hookcast has no clip events: the column
-- never selects a delivery.
ALTER TABLE webhooks ADD COLUMN is_clip_hooks INTEGER NOT NULL DEFAULT 0;
