-- Monthly partitions for the two tables that grow with the fleet (issue 13, docs/retention.md),
-- so that retention drops a whole old month in O(1) instead of deleting millions of rows.
-- The same file runs on PostgreSQL and PGlite (PGlite is PostgreSQL 17 compiled to WASM and
-- supports declarative partitioning): one migration set, one pruning code path.
--
-- Partition keys:
-- * reports by collected_at: every evidence query (bundle pages, report runs, period edges)
--   filters reports by collected_at, so a period touches only its months; received_at is not
--   what the evidence is about. A device whose clock is far off lands in an old or in the
--   DEFAULT partition; pruning never removes a report RECEIVED within the retention (see
--   server/src/retention/prune.ts, which checks received_at through the BRIN index below).
-- * state_events by at: the history code reads them by `at` (the period and the state before it).
--
-- Uniqueness: a unique index on a partitioned table must contain the partition key, so the
-- keys become (report_id, collected_at) and (id, at). A resent report carries the same signed
-- collected_at, so ON CONFLICT (report_id, collected_at) still catches every honest duplicate;
-- the ingest insert (ingest/store.ts) also refuses a known report_id under another collected_at.
--
-- The projector reads reports by (ingest_partition, ingest_xid, ingest_seq) across months:
-- that index is recreated on the parent (one per month partition); the read becomes a merge of
-- a few index scans, ordered the same way (migration 070 explains why the position survives).

-- 1. Move the old tables aside. Their sequences must outlive them.
ALTER TABLE reports RENAME TO reports_unpartitioned;
ALTER TABLE state_events RENAME TO state_events_unpartitioned;
ALTER TABLE reports_unpartitioned RENAME CONSTRAINT reports_pkey TO reports_unpartitioned_pkey;
ALTER TABLE state_events_unpartitioned RENAME CONSTRAINT state_events_pkey TO state_events_unpartitioned_pkey;
ALTER SEQUENCE state_events_id_seq OWNED BY NONE;

-- 2. The partitioned parents, columns in the same order with the same defaults.
CREATE TABLE reports (
  report_id text NOT NULL,
  device_id text NOT NULL REFERENCES devices(id),
  seq bigint NOT NULL,
  kid text NOT NULL,
  collected_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  trigger text,
  summary jsonb NOT NULL,
  jws text NOT NULL,
  ingest_seq bigint DEFAULT nextval('reports_ingest_seq'),
  ingest_xid bigint DEFAULT (pg_current_xact_id()::text::bigint),
  ingest_partition smallint,
  PRIMARY KEY (report_id, collected_at)
) PARTITION BY RANGE (collected_at);

CREATE TABLE state_events (
  id bigint NOT NULL DEFAULT nextval('state_events_id_seq'),
  device_id text NOT NULL REFERENCES devices(id),
  check_id text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  at timestamptz NOT NULL,
  report_id text,
  detail jsonb,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE state_events_id_seq OWNED BY state_events.id;

-- A row outside every month partition goes here, so an insert never fails for want of one.
-- The daily job creates month partitions ahead of time, which keeps it (nearly) empty.
CREATE TABLE reports_default PARTITION OF reports DEFAULT;
CREATE TABLE state_events_default PARTITION OF state_events DEFAULT;

-- 3. The month partition maker, shared by this migration and the daily job (retention/partitions.ts).
-- Creates <parent>_pYYYY_MM for the UTC month containing `t` if it does not exist; rows of that
-- month already in the DEFAULT partition are moved into it first (ATTACH refuses otherwise).
-- Returns true when it created the partition.
CREATE FUNCTION posture_month_partition(parent text, t timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  lo_local timestamp := date_trunc('month', t AT TIME ZONE 'UTC');
  lo timestamptz := lo_local AT TIME ZONE 'UTC';
  hi timestamptz := (lo_local + interval '1 month') AT TIME ZONE 'UTC';
  part text := parent || '_p' || to_char(lo_local, 'YYYY_MM');
  col text;
BEGIN
  IF parent = 'reports' THEN col := 'collected_at';
  ELSIF parent = 'state_events' THEN col := 'at';
  ELSE RAISE EXCEPTION 'posture_month_partition: % is not partitioned by month', parent;
  END IF;
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('WITH m AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO %I SELECT * FROM m',
                 parent || '_default', col, col, part) USING lo, hi;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, lo, hi);
  RETURN true;
END;
$$;

-- 4. Partitions for every month that has data (within ten years back; anything older or in the
-- future beyond three months stays in DEFAULT), plus this month and the next three.
SELECT posture_month_partition('reports', m) FROM (
  SELECT DISTINCT date_trunc('month', collected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM reports_unpartitioned
   WHERE collected_at >= now() - interval '10 years' AND collected_at < now() + interval '3 months'
  UNION SELECT now() + g * interval '1 month' FROM generate_series(0, 3) AS g) x;
SELECT posture_month_partition('state_events', m) FROM (
  SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM state_events_unpartitioned
   WHERE at >= now() - interval '10 years' AND at < now() + interval '3 months'
  UNION SELECT now() + g * interval '1 month' FROM generate_series(0, 3) AS g) x;

-- 5. Copy, then drop the old tables (their index names become free for the parents' indexes).
INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws, ingest_seq, ingest_xid, ingest_partition)
  SELECT report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws, ingest_seq, ingest_xid, ingest_partition FROM reports_unpartitioned;
INSERT INTO state_events (id, device_id, check_id, from_state, to_state, at, report_id, detail)
  SELECT id, device_id, check_id, from_state, to_state, at, report_id, detail FROM state_events_unpartitioned;
DROP TABLE reports_unpartitioned;
DROP TABLE state_events_unpartitioned;

-- 6. The same indexes as before (001, 002, 070), now one per partition.
CREATE INDEX reports_device_time_idx ON reports (device_id, collected_at DESC, report_id DESC);
CREATE INDEX reports_time_idx ON reports (collected_at);
CREATE INDEX reports_projection_idx ON reports (ingest_partition, ingest_xid, ingest_seq) WHERE ingest_xid IS NOT NULL;
-- report_id alone: the projector fetches JWS by id, duplicate detection looks ids up across months.
CREATE INDEX reports_id_idx ON reports (report_id);
-- received_at only for pruning's "was anything in this month received recently?" (BRIN: a few
-- pages per partition, nearly free to maintain because received_at grows with insertion order).
CREATE INDEX reports_received_brin ON reports USING brin (received_at);
CREATE INDEX state_events_device_idx ON state_events (device_id, at);
CREATE INDEX state_events_at_idx ON state_events (at);
CREATE INDEX state_events_device_level_idx ON state_events (at) WHERE check_id = '*';
