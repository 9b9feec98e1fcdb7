-- Sync's tables on PostgreSQL. Times are timestamptz (UTC); ids from the platform are short strings.
-- The schema itself is created by the migrator before the journal; repeated here so the script stands alone.
CREATE SCHEMA IF NOT EXISTS sync;

-- Inbox: (consumer, message id) -> processed at. A row means "applied"; it is written in the consumer's transaction.
CREATE TABLE sync.inbox (
    consumer     varchar(200) NOT NULL,
    message_id   uuid         NOT NULL,
    processed_at timestamptz  NOT NULL,
    CONSTRAINT pk_inbox PRIMARY KEY (consumer, message_id)
);
CREATE INDEX ix_inbox_processed_at ON sync.inbox (processed_at);

-- Outbox: messages waiting to be published, claimed by relays under a lease (locked_by, locked_until).
CREATE TABLE sync.outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    message_id   uuid          NOT NULL,
    message_type varchar(400)  NOT NULL,
    destination  varchar(400)  NOT NULL,
    body         text          NOT NULL,
    headers      text          NOT NULL,
    created_at   timestamptz   NOT NULL,
    available_at timestamptz   NOT NULL,
    attempts     integer       NOT NULL DEFAULT 0,
    locked_by    varchar(200)  NULL,
    locked_until timestamptz   NULL,
    sent_at      timestamptz   NULL,
    last_error   varchar(4000) NULL,
    CONSTRAINT pk_outbox PRIMARY KEY (id)
);
-- Claims read only unsent rows: the partial index stays small however many sent rows wait for the purge.
CREATE INDEX ix_outbox_due ON sync.outbox (available_at, id) WHERE sent_at IS NULL;
CREATE INDEX ix_outbox_sent_at ON sync.outbox (sent_at) WHERE sent_at IS NOT NULL;
-- Every row is updated twice and deleted once: vacuum early rather than at the default 20% of dead rows.
ALTER TABLE sync.outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Installations: one row per location, tokens AES-256-GCM encrypted (key id inside each ciphertext).
CREATE TABLE sync.installations (
    location_id             varchar(64)  NOT NULL,
    company_id              varchar(64)  NULL,
    auth_mode               varchar(32)  NOT NULL,
    status                  varchar(32)  NOT NULL,
    access_token            bytea        NULL,
    refresh_token           bytea        NULL,
    access_token_expires_at timestamptz  NULL,
    installed_at            timestamptz  NOT NULL,
    updated_at              timestamptz  NOT NULL,
    row_version             bigint       NOT NULL DEFAULT 1,
    refresh_lease_owner     varchar(200) NULL,
    refresh_lease_until     timestamptz  NULL,
    CONSTRAINT pk_installations PRIMARY KEY (location_id)
);

-- Contact index: match key -> contact, per location.
CREATE TABLE sync.contact_keys (
    location_id varchar(64)  NOT NULL,
    key_kind    varchar(16)  NOT NULL,
    key_value   varchar(320) NOT NULL,
    contact_id  varchar(64)  NOT NULL,
    updated_at  timestamptz  NOT NULL,
    CONSTRAINT pk_contact_keys PRIMARY KEY (location_id, key_kind, key_value)
);
CREATE INDEX ix_contact_keys_contact ON sync.contact_keys (location_id, contact_id);

-- Staleness guard: time of the last applied event per contact, and per (contact, tag) with its operation.
CREATE TABLE sync.contact_versions (
    location_id      varchar(64) NOT NULL,
    contact_id       varchar(64) NOT NULL,
    last_occurred_at timestamptz NOT NULL,
    CONSTRAINT pk_contact_versions PRIMARY KEY (location_id, contact_id)
);

CREATE TABLE sync.contact_tag_versions (
    location_id      varchar(64)  NOT NULL,
    contact_id       varchar(64)  NOT NULL,
    tag              varchar(255) NOT NULL,
    last_operation   varchar(16)  NOT NULL,
    last_occurred_at timestamptz  NOT NULL,
    CONSTRAINT pk_contact_tag_versions PRIMARY KEY (location_id, contact_id, tag)
);

-- Dead letters: one row per (source queue, message id); operator actions in the audit table.
CREATE TABLE sync.dead_letters (
    id                uuid         NOT NULL,
    source_queue      varchar(256) NOT NULL,
    message_id        varchar(100) NOT NULL,
    message_type      varchar(400) NULL,
    location_id       varchar(64)  NULL,
    body              text         NOT NULL,
    headers           text         NOT NULL,
    fault_type        varchar(400) NULL,
    fault_message     text         NULL,
    fault_stack_trace text         NULL,
    classification    varchar(64)  NOT NULL,
    fingerprint       varchar(64)  NOT NULL,
    first_failed_at   timestamptz  NOT NULL,
    last_failed_at    timestamptz  NOT NULL,
    failure_count     integer      NOT NULL,
    status            varchar(16)  NOT NULL,
    replay_count      integer      NOT NULL,
    status_changed_at timestamptz  NOT NULL,
    CONSTRAINT pk_dead_letters PRIMARY KEY (id),
    CONSTRAINT uq_dead_letters_source_message UNIQUE (source_queue, message_id)
);
CREATE INDEX ix_dead_letters_status_last_failed ON sync.dead_letters (status, last_failed_at);
CREATE INDEX ix_dead_letters_fingerprint ON sync.dead_letters (fingerprint, status);
CREATE INDEX ix_dead_letters_location ON sync.dead_letters (location_id, status) WHERE location_id IS NOT NULL;
CREATE INDEX ix_dead_letters_last_failed ON sync.dead_letters (last_failed_at);

CREATE TABLE sync.dead_letter_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    dead_letter_id uuid          NOT NULL,
    action         varchar(32)   NOT NULL,
    actor          varchar(200)  NOT NULL,
    note           varchar(4000) NULL,
    occurred_at    timestamptz   NOT NULL,
    CONSTRAINT pk_dead_letter_audit PRIMARY KEY (id),
    CONSTRAINT fk_dead_letter_audit_dead_letter FOREIGN KEY (dead_letter_id) REFERENCES sync.dead_letters (id) ON DELETE CASCADE
);
CREATE INDEX ix_dead_letter_audit_dead_letter ON sync.dead_letter_audit (dead_letter_id, id);

-- Rate limits shared by every worker: a fixed window per (app, location) and a block set by a 429.
CREATE TABLE sync.rate_limits (
    app               varchar(100) NOT NULL,
    location_id       varchar(64)  NOT NULL,
    window_started_at timestamptz  NOT NULL,
    permits_taken     integer      NOT NULL,
    blocked_until     timestamptz  NULL,
    CONSTRAINT pk_rate_limits PRIMARY KEY (app, location_id)
);
