-- Outbox rows remember their location, so an uninstall can drop the location's pending work.
ALTER TABLE sync.outbox ADD COLUMN location_id varchar(64) NULL;
CREATE INDEX ix_outbox_location_pending ON sync.outbox (location_id) WHERE sent_at IS NULL AND location_id IS NOT NULL;

-- The shared API schedule: the next free call slot of each (app, location), spaced interval / max apart.
ALTER TABLE sync.rate_limits ADD COLUMN next_slot_at timestamptz NULL;
