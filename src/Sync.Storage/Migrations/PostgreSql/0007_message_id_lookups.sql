-- Bulk imports ask where their messages stand by message id: in the outbox (any row, sent or not) and among the
-- dead letters, whose unique key leads with the source queue.
CREATE INDEX ix_outbox_message_id ON sync.outbox (message_id);
CREATE INDEX ix_dead_letters_message_id ON sync.dead_letters (message_id);
