-- Reconcile: one row per location, the lease that lets one process at a time rebuild its contact index from the CRM,
-- and what the last run changed.
CREATE TABLE sync.reconcile_runs (
    location_id       varchar(64)   NOT NULL,
    lease_owner       varchar(200)  NULL,
    lease_until       timestamptz   NULL,
    started_at        timestamptz   NULL,
    finished_at       timestamptz   NULL,
    contacts_seen     integer       NOT NULL DEFAULT 0,
    keys_added        integer       NOT NULL DEFAULT 0,
    keys_removed      integer       NOT NULL DEFAULT 0,
    contacts_removed  integer       NOT NULL DEFAULT 0,
    last_error        varchar(1000) NULL,
    CONSTRAINT pk_reconcile_runs PRIMARY KEY (location_id)
);

