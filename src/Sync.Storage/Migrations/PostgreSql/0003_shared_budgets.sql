-- Learned limits live with the shared schedule, so every process paces by what any of them learned from the API:
-- the burst limit (calls per interval) and the daily limit, and the daily count of the current daily window.
ALTER TABLE sync.rate_limits ADD COLUMN burst_max integer NULL;
ALTER TABLE sync.rate_limits ADD COLUMN burst_interval_ms integer NULL;
ALTER TABLE sync.rate_limits ADD COLUMN daily_limit integer NULL;
ALTER TABLE sync.rate_limits ADD COLUMN daily_window_start timestamptz NULL;
ALTER TABLE sync.rate_limits ADD COLUMN daily_used integer NOT NULL DEFAULT 0;
