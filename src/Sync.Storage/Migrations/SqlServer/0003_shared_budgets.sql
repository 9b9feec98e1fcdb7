-- Learned limits live with the shared schedule, so every process paces by what any of them learned from the API:
-- the burst limit (calls per interval) and the daily limit, and the daily count of the current daily window.
ALTER TABLE sync.rate_limits ADD
    burst_max          int               NULL,
    burst_interval_ms  int               NULL,
    daily_limit        int               NULL,
    daily_window_start datetimeoffset(7) NULL,
    daily_used         int               NOT NULL CONSTRAINT df_rate_limits_daily_used DEFAULT 0;
GO
