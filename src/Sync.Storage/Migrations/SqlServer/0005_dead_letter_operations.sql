-- Dead-letter operations: what the collector learns of a failure, replays that fail again as new occurrences
-- linked to the first, and the circuits' state for `sync-admin dlq status`.
ALTER TABLE sync.dead_letters ADD
    http_status int            NULL,
    api_answer  nvarchar(1000) NULL,
    attempts    int            NULL,
    consumer    nvarchar(400)  NULL,
    replay_of   uniqueidentifier NULL,
    -- The occurrence key: '' for a first failure, the replayed dead letter's id for a replay that failed again.
    occurrence  nvarchar(64)   NOT NULL CONSTRAINT df_dead_letters_occurrence DEFAULT N'';
GO
ALTER TABLE sync.dead_letters DROP CONSTRAINT uq_dead_letters_source_message;
GO
ALTER TABLE sync.dead_letters ADD CONSTRAINT uq_dead_letters_occurrence UNIQUE (source_queue, message_id, occurrence);
GO
CREATE INDEX ix_dead_letters_classification ON sync.dead_letters (classification, status);
GO

-- Circuits (kill switches) as each worker process last reported them.
CREATE TABLE sync.circuit_states (
    circuit    nvarchar(200)     NOT NULL,
    owner      nvarchar(200)     NOT NULL,
    state      nvarchar(32)      NOT NULL,
    reason     nvarchar(1000)    NULL,
    changed_at datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_circuit_states PRIMARY KEY CLUSTERED (circuit, owner)
);
GO
