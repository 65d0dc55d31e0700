-- Ingest writes every device row on every report. Keep that write cheap: no index on the
-- columns every report changes (last_seen_at), and free space in each page so PostgreSQL can
-- update rows in place (HOT) without touching the indexes. Sorting by last seen at fleet
-- scale is a top-N sort of the filtered rows, which stays fast without an index.
DROP INDEX IF EXISTS devices_last_seen_idx;
DROP INDEX IF EXISTS devices_state_idx;
CREATE INDEX devices_state_only_idx ON devices (state);
ALTER TABLE devices SET (fillfactor = 70);
ALTER TABLE check_states SET (fillfactor = 70);
