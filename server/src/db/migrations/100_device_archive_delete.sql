-- Device archive and delete (issue 13). Both are marks on the device row, never a row deletion:
-- the device's reports, state events and audit entries stay (until retention prunes them), so an
-- evidence bundle over a period in which the device existed still carries it and still verifies.
-- archived_*: hidden from the fleet views, counts, stale/deadline jobs; cleared when the device
--   reports again (server/src/devices/lifecycle.ts) or by an operator.
-- deleted_*: a tombstone. The device is gone from the API and dashboard, its keys are revoked,
--   and it cannot be restored (docs/api.md).
ALTER TABLE devices ADD COLUMN archived_at timestamptz;
ALTER TABLE devices ADD COLUMN archived_by text;
ALTER TABLE devices ADD COLUMN archive_reason text;
ALTER TABLE devices ADD COLUMN deleted_at timestamptz;
ALTER TABLE devices ADD COLUMN deleted_by text;
ALTER TABLE devices ADD COLUMN delete_reason text;
-- A deleted device's machine may enroll again as a NEW device: its fingerprint stays on the
-- tombstone, so the uniqueness holds among live devices only.
ALTER TABLE devices DROP CONSTRAINT devices_fingerprint_key;
CREATE UNIQUE INDEX devices_fingerprint_live_idx ON devices (fingerprint) WHERE deleted_at IS NULL;
