-- Issue 11 #1: an enrollment secret creates NEW devices only. A second enrollment for a
-- fingerprint that already belongs to a device is kept here, apart from the device, until an
-- administrator approves (the offered key replaces the device's key) or rejects it.
CREATE TABLE pending_enrollments (
  id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  kid text NOT NULL,
  public_jwk jsonb NOT NULL,
  hostname text NOT NULL,
  agent_version text,
  inventory jsonb NOT NULL,
  source_ip text,
  secret_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by text,
  decision text CHECK (decision IN ('approved', 'rejected')),
  reason text
);
CREATE INDEX pending_enrollments_open_idx ON pending_enrollments (device_id, created_at DESC) WHERE decided_at IS NULL;
CREATE UNIQUE INDEX pending_enrollments_kid_idx ON pending_enrollments (kid);

-- Why a key stopped being current: 'rotated' (the agent's own rotation or a re-enroll proven by
-- its current key) or 'replaced' (an administrator approved a pending enrollment). The agent
-- holding a replaced key is told so (close code 4012) instead of "bad signature".
ALTER TABLE device_keys ADD COLUMN retired_reason text;
