-- Dead-letter operations: what the collector learns of a failure, replays that fail again as new occurrences
-- linked to the first, and the circuits' state for `sync-admin dlq status`.
ALTER TABLE sync.dead_letters ADD COLUMN http_status integer NULL;
ALTER TABLE sync.dead_letters ADD COLUMN api_answer varchar(1000) NULL;
ALTER TABLE sync.dead_letters ADD COLUMN attempts integer NULL;
ALTER TABLE sync.dead_letters ADD COLUMN consumer varchar(400) NULL;
ALTER TABLE sync.dead_letters ADD COLUMN replay_of uuid NULL;
-- The occurrence key: '' for a first failure, the replayed dead letter's id for a replay that failed again.
ALTER TABLE sync.dead_letters ADD COLUMN occurrence varchar(64) NOT NULL DEFAULT '';
ALTER TABLE sync.dead_letters DROP CONSTRAINT uq_dead_letters_source_message;
ALTER TABLE sync.dead_letters ADD CONSTRAINT uq_dead_letters_occurrence UNIQUE (source_queue, message_id, occurrence);
CREATE INDEX ix_dead_letters_classification ON sync.dead_letters (classification, status);

-- Circuits (kill switches) as each worker process last reported them.
CREATE TABLE sync.circuit_states (
    circuit    varchar(200)  NOT NULL,
    owner      varchar(200)  NOT NULL,
    state      varchar(32)   NOT NULL,
    reason     varchar(1000) NULL,
    changed_at timestamptz   NOT NULL,
    CONSTRAINT pk_circuit_states PRIMARY KEY (circuit, owner)
);
