-- Outbox rows remember their location, so an uninstall can drop the location's pending work.
ALTER TABLE sync.outbox ADD location_id nvarchar(64) NULL;
GO
CREATE INDEX ix_outbox_location_pending ON sync.outbox (location_id) WHERE sent_at IS NULL AND location_id IS NOT NULL;
GO

-- The shared API schedule: the next free call slot of each (app, location), spaced interval / max apart.
ALTER TABLE sync.rate_limits ADD next_slot_at datetimeoffset(7) NULL;
GO
