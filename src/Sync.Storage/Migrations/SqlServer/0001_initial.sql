-- Sync's tables on SQL Server. Times are datetimeoffset(7) holding UTC; strings are nvarchar so that parameters
-- (which SqlClient sends as nvarchar) compare with columns without converting them; match keys and tags use a
-- binary collation so that they compare exactly, as on PostgreSQL.
IF SCHEMA_ID(N'sync') IS NULL
    EXEC (N'CREATE SCHEMA sync');
GO

-- Inbox: (consumer, message id) -> processed at. A row means "applied"; it is written in the consumer's transaction.
CREATE TABLE sync.inbox (
    consumer     nvarchar(200)     NOT NULL,
    message_id   uniqueidentifier  NOT NULL,
    processed_at datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_inbox PRIMARY KEY CLUSTERED (consumer, message_id)
);
CREATE INDEX ix_inbox_processed_at ON sync.inbox (processed_at);

-- Outbox: messages waiting to be published, claimed by relays under a lease (locked_by, locked_until).
CREATE TABLE sync.outbox (
    id           bigint IDENTITY(1, 1) NOT NULL,
    message_id   uniqueidentifier      NOT NULL,
    message_type nvarchar(400)         NOT NULL,
    destination  nvarchar(400)         NOT NULL,
    body         nvarchar(max)         NOT NULL,
    headers      nvarchar(max)         NOT NULL,
    created_at   datetimeoffset(7)     NOT NULL,
    available_at datetimeoffset(7)     NOT NULL,
    attempts     int                   NOT NULL CONSTRAINT df_outbox_attempts DEFAULT (0),
    locked_by    nvarchar(200)         NULL,
    locked_until datetimeoffset(7)     NULL,
    sent_at      datetimeoffset(7)     NULL,
    last_error   nvarchar(4000)        NULL,
    CONSTRAINT pk_outbox PRIMARY KEY CLUSTERED (id)
);
-- Claims read only unsent rows: the filtered index stays small however many sent rows wait for the purge.
CREATE INDEX ix_outbox_due ON sync.outbox (available_at, id) INCLUDE (locked_until) WHERE sent_at IS NULL;
CREATE INDEX ix_outbox_sent_at ON sync.outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Installations: one row per location, tokens AES-256-GCM encrypted (key id inside each ciphertext).
CREATE TABLE sync.installations (
    location_id             nvarchar(64)      NOT NULL,
    company_id              nvarchar(64)      NULL,
    auth_mode               nvarchar(32)      NOT NULL,
    status                  nvarchar(32)      NOT NULL,
    access_token            varbinary(max)    NULL,
    refresh_token           varbinary(max)    NULL,
    access_token_expires_at datetimeoffset(7) NULL,
    installed_at            datetimeoffset(7) NOT NULL,
    updated_at              datetimeoffset(7) NOT NULL,
    row_version             bigint            NOT NULL CONSTRAINT df_installations_row_version DEFAULT (1),
    refresh_lease_owner     nvarchar(200)     NULL,
    refresh_lease_until     datetimeoffset(7) NULL,
    CONSTRAINT pk_installations PRIMARY KEY CLUSTERED (location_id)
);

-- Contact index: match key -> contact, per location.
CREATE TABLE sync.contact_keys (
    location_id nvarchar(64)                                NOT NULL,
    key_kind    nvarchar(16)                                NOT NULL,
    key_value   nvarchar(320) COLLATE Latin1_General_100_BIN2 NOT NULL,
    contact_id  nvarchar(64)                                NOT NULL,
    updated_at  datetimeoffset(7)                           NOT NULL,
    CONSTRAINT pk_contact_keys PRIMARY KEY CLUSTERED (location_id, key_kind, key_value)
);
CREATE INDEX ix_contact_keys_contact ON sync.contact_keys (location_id, contact_id);

-- Staleness guard: time of the last applied event per contact, and per (contact, tag) with its operation.
CREATE TABLE sync.contact_versions (
    location_id      nvarchar(64)      NOT NULL,
    contact_id       nvarchar(64)      NOT NULL,
    last_occurred_at datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_contact_versions PRIMARY KEY CLUSTERED (location_id, contact_id)
);

CREATE TABLE sync.contact_tag_versions (
    location_id      nvarchar(64)                                NOT NULL,
    contact_id       nvarchar(64)                                NOT NULL,
    tag              nvarchar(255) COLLATE Latin1_General_100_BIN2 NOT NULL,
    last_operation   nvarchar(16)                                NOT NULL,
    last_occurred_at datetimeoffset(7)                           NOT NULL,
    CONSTRAINT pk_contact_tag_versions PRIMARY KEY CLUSTERED (location_id, contact_id, tag)
);

-- Dead letters: one row per (source queue, message id); operator actions in the audit table.
CREATE TABLE sync.dead_letters (
    id                uniqueidentifier  NOT NULL,
    source_queue      nvarchar(256)     NOT NULL,
    message_id        nvarchar(100)     NOT NULL,
    message_type      nvarchar(400)     NULL,
    location_id       nvarchar(64)      NULL,
    body              nvarchar(max)     NOT NULL,
    headers           nvarchar(max)     NOT NULL,
    fault_type        nvarchar(400)     NULL,
    fault_message     nvarchar(max)     NULL,
    fault_stack_trace nvarchar(max)     NULL,
    classification    nvarchar(64)      NOT NULL,
    fingerprint       nvarchar(64)      NOT NULL,
    first_failed_at   datetimeoffset(7) NOT NULL,
    last_failed_at    datetimeoffset(7) NOT NULL,
    failure_count     int               NOT NULL,
    status            nvarchar(16)      NOT NULL,
    replay_count      int               NOT NULL,
    status_changed_at datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_dead_letters PRIMARY KEY NONCLUSTERED (id),
    CONSTRAINT uq_dead_letters_source_message UNIQUE (source_queue, message_id)
);
-- Random ids make a poor clustering key: cluster on failure time instead.
CREATE CLUSTERED INDEX cx_dead_letters_last_failed ON sync.dead_letters (last_failed_at);
CREATE INDEX ix_dead_letters_status_last_failed ON sync.dead_letters (status, last_failed_at);
CREATE INDEX ix_dead_letters_fingerprint ON sync.dead_letters (fingerprint, status);
CREATE INDEX ix_dead_letters_location ON sync.dead_letters (location_id, status) WHERE location_id IS NOT NULL;

CREATE TABLE sync.dead_letter_audit (
    id             bigint IDENTITY(1, 1) NOT NULL,
    dead_letter_id uniqueidentifier      NOT NULL,
    action         nvarchar(32)          NOT NULL,
    actor          nvarchar(200)         NOT NULL,
    note           nvarchar(4000)        NULL,
    occurred_at    datetimeoffset(7)     NOT NULL,
    CONSTRAINT pk_dead_letter_audit PRIMARY KEY CLUSTERED (id),
    CONSTRAINT fk_dead_letter_audit_dead_letter FOREIGN KEY (dead_letter_id) REFERENCES sync.dead_letters (id) ON DELETE CASCADE
);
CREATE INDEX ix_dead_letter_audit_dead_letter ON sync.dead_letter_audit (dead_letter_id, id);

-- Rate limits shared by every worker: a fixed window per (app, location) and a block set by a 429.
CREATE TABLE sync.rate_limits (
    app               nvarchar(100)     NOT NULL,
    location_id       nvarchar(64)      NOT NULL,
    window_started_at datetimeoffset(7) NOT NULL,
    permits_taken     int               NOT NULL,
    blocked_until     datetimeoffset(7) NULL,
    CONSTRAINT pk_rate_limits PRIMARY KEY CLUSTERED (app, location_id)
);
GO
