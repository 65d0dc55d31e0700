-- Every agent connection looks for an unfinished re-check to deliver (gateway/connection.ts):
-- keep that lookup an index probe, not a scan of every command ever issued.
CREATE INDEX commands_pending_idx ON commands (device_id, created_at DESC) WHERE completed_at IS NULL;
