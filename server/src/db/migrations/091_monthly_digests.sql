-- Signed monthly digests (issue 13, docs/retention.md): before retention drops a month of
-- reports or state events, the collector writes per device and month what later bundles need
-- to prove that month without its raw reports: the count of reports, the first and last
-- sequence number, the chain head (hash of the last report) and the seconds per state for each
-- check (the same shared history code the bundle uses), signed with the collector's evidence
-- key (`jws`, kid recorded). The JWS is the record; the other columns are for queries.
CREATE TABLE monthly_digests (
  device_id text NOT NULL,
  -- First day of the UTC month.
  month date NOT NULL,
  reports bigint NOT NULL,
  first_seq bigint,
  last_seq bigint,
  head_hash text,
  kid text NOT NULL,
  jws text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, month)
);
CREATE INDEX monthly_digests_month_idx ON monthly_digests (month);

-- Append-only like the audit log: UPDATE and TRUNCATE are always refused; DELETE only inside a
-- transaction that declared the digests' own retention (SET LOCAL posture.digest_prune_before =
-- '<date>') and only for months before it.
CREATE FUNCTION monthly_digests_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    before := current_setting('posture.digest_prune_before', true);
    IF before IS NOT NULL AND before <> '' AND OLD.month < before::date THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'monthly_digests is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER monthly_digests_append_only BEFORE UPDATE OR DELETE ON monthly_digests
  FOR EACH ROW EXECUTE FUNCTION monthly_digests_append_only();

CREATE FUNCTION monthly_digests_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'monthly_digests is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER monthly_digests_no_truncate BEFORE TRUNCATE ON monthly_digests
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_digests_no_truncate();

-- The state each check was in when its pruned history ended: per device and check, the last
-- state event retention removed (and, when failing, since when). Evidence reads "the state at
-- the start of the period" from state_events UNION this table (evidence/dal.ts), so a check
-- that has not changed for longer than the retention is still known, not `unknown`.
CREATE TABLE state_event_baseline (
  device_id text NOT NULL,
  check_id text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  at timestamptz NOT NULL,
  -- When the check last entered failing/noncompliant at or before `at` (null when not failing).
  failing_since timestamptz,
  PRIMARY KEY (device_id, check_id)
);
