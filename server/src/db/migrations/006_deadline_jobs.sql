-- Marks an exclusion whose expiry has been applied to its device's state by the deadline job.
ALTER TABLE exclusions ADD COLUMN expiry_applied_at timestamptz;
CREATE INDEX exclusions_expiry_idx ON exclusions (expires_at) WHERE expiry_applied_at IS NULL AND revoked_at IS NULL;
CREATE INDEX devices_deadline_idx ON devices (next_deadline) WHERE state = 'failing';
