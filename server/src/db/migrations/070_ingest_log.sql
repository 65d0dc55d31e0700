-- Ingest as a log plus a projection (server/src/ingest/, server/src/projector/).
-- The socket path only appends the signed report; the projector derives check_states,
-- device state, state_events, alert outbox rows and completed commands from the log, in order.
--
-- Position: each report gets the id of the transaction that stored it (ingest_xid, 64-bit,
-- from pg_current_xact_id()) and a number from one sequence (ingest_seq). Sequence numbers are
-- handed out before commit, so on their own they do not say "everything below N is visible"
-- (a slower transaction can commit a lower number later). Transaction ids do: every row not
-- yet visible belongs to a report writer in progress, and every writer holds a shared advisory
-- lock from before it gets its id, so the lowest id among the lock holders (else the next id)
-- is a horizon: a projector that reads only rows below it, ordered by (ingest_xid, ingest_seq),
-- never skips one (projector/read-log.ts). Both are plain bigint columns, so they survive partitioning `reports` by
-- month (the position is not a physical row address and not tied to one partition).
--
-- Rows stored before this migration were applied by the old in-transaction ingest: they keep
-- NULL here and the projector never reads them.
CREATE SEQUENCE reports_ingest_seq;
ALTER TABLE reports ADD COLUMN ingest_seq bigint;
ALTER TABLE reports ADD COLUMN ingest_xid bigint;
ALTER TABLE reports ADD COLUMN ingest_partition smallint;
ALTER TABLE reports ALTER COLUMN ingest_seq SET DEFAULT nextval('reports_ingest_seq');
ALTER TABLE reports ALTER COLUMN ingest_xid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX reports_projection_idx ON reports (ingest_partition, ingest_xid, ingest_seq) WHERE ingest_xid IS NOT NULL;

-- One row per device partition: the last (xid, seq) applied. Updated in the same transaction
-- as the effects of the reports it covers, which is what makes projection exactly-once.
CREATE TABLE projector_positions (
  partition smallint PRIMARY KEY,
  last_xid bigint NOT NULL DEFAULT 0,
  last_seq bigint NOT NULL DEFAULT 0,
  projected bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projector_positions (partition) SELECT g FROM generate_series(0, 7) AS g;

-- How many reports the projector applied to this device: equal to the device's count of
-- projected reports when every report was applied exactly once (the fault tests check it).
ALTER TABLE devices ADD COLUMN reports_projected bigint NOT NULL DEFAULT 0;
UPDATE devices d SET reports_projected = (SELECT count(*) FROM reports r WHERE r.device_id = d.id);

-- A report the projector could not apply for a deterministic reason (its own transaction
-- failed alone, the database being reachable): recorded once and passed over, so one bad row
-- never stalls its partition; the report itself stays in the log as evidence.
CREATE TABLE projector_failures (
  report_id text PRIMARY KEY,
  partition smallint NOT NULL,
  error text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
