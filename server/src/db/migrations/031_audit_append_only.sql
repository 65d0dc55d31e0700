-- Append-only audit log, enforced by the database on PostgreSQL and PGlite alike.
ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash SET NOT NULL;

-- UPDATE is always refused. DELETE is refused unless the transaction declared a retention
-- pruning up to a sequence number (SET LOCAL posture.audit_prune_through = '<seq>'), and then
-- only for entries at or below it: the pruning job sets it, deletes the oldest entries in
-- batches, and appends an 'audit.prune' entry naming the range and the hash of the last pruned
-- entry, which becomes the anchor later bundles start from.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  through text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    through := current_setting('posture.audit_prune_through', true);
    IF through IS NOT NULL AND through <> '' AND OLD.seq <= through::bigint THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();

-- An INSERT must extend the chain: seq 1 without a predecessor, or seq n linking to entry n-1's
-- hash. (The hash itself is computed by the collector; the verifier recomputes it.) Two
-- collectors racing for one seq are stopped by the unique index; appends serialize on the
-- advisory lock AUDIT_CHAIN_LOCK first, so that does not happen in practice.
CREATE FUNCTION audit_log_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.seq = 1 AND NEW.prev_hash IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT hash INTO prev FROM audit_log WHERE seq = NEW.seq - 1;
  IF prev IS NULL OR NEW.prev_hash IS DISTINCT FROM prev THEN
    RAISE EXCEPTION 'audit_log entry seq % does not extend the chain', NEW.seq USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER audit_log_links BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_links();
