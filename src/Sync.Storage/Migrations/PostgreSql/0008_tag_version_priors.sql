-- A tag's record keeps what it said before its last change, so a change whose API call then fails can be taken back
-- inside the same transaction: the record only ever says what reached the API. NULL: the last change inserted the row.
ALTER TABLE sync.contact_tag_versions ADD COLUMN prior_operation varchar(16) NULL;
ALTER TABLE sync.contact_tag_versions ADD COLUMN prior_occurred_at timestamptz NULL;
