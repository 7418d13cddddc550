-- Retention (prune.go). Deleting an event makes SQLite look for deliveries that
-- still reference it, and the pruner looks for events left without deliveries:
-- both by event_id. Events without any delivery are found by age, and image
-- bodies still held by age among the images (a partial index: emptied ones
-- leave it, so each pass reads only what it will change).
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_images ON events (created_at) WHERE content_type = 'image/jpeg' AND length(body) > 0;
