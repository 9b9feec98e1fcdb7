-- Reconcile: one row per location, the lease that lets one process at a time rebuild its contact index from the CRM,
-- and what the last run changed.
CREATE TABLE sync.reconcile_runs (
    location_id       nvarchar(64)      NOT NULL,
    lease_owner       nvarchar(200)     NULL,
    lease_until       datetimeoffset(7) NULL,
    started_at        datetimeoffset(7) NULL,
    finished_at       datetimeoffset(7) NULL,
    contacts_seen     int               NOT NULL CONSTRAINT df_reconcile_runs_seen DEFAULT 0,
    keys_added        int               NOT NULL CONSTRAINT df_reconcile_runs_added DEFAULT 0,
    keys_removed      int               NOT NULL CONSTRAINT df_reconcile_runs_removed DEFAULT 0,
    contacts_removed  int               NOT NULL CONSTRAINT df_reconcile_runs_contacts DEFAULT 0,
    last_error        nvarchar(1000)    NULL,
    CONSTRAINT pk_reconcile_runs PRIMARY KEY CLUSTERED (location_id)
);
