-- The audit log becomes a hash chain (shared/src/audit/chain.ts): each entry carries its
-- position (seq, no gaps) and the hash of the entry before it. Entries written before this
-- migration are chained in id order by the hook that runs right after this file
-- (server/src/db/migration-hooks.ts), then 031 makes the columns mandatory and the table append-only.
ALTER TABLE audit_log ADD COLUMN seq bigint;
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_log_seq_idx ON audit_log (seq);
