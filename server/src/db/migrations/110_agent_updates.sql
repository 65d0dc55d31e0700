-- Agent self-update state (issue 15): what each agent last reported about its update attempts,
-- the attempts that changed something (history, for the failures/rollbacks list), and the
-- help desk's pause of the rollout (server/src/updates/).

-- One row per device: its last reported attempt (any state, 'up-to-date' included).
CREATE TABLE device_update_status (
  device_id text PRIMARY KEY REFERENCES devices(id),
  state text NOT NULL,
  from_version text,
  to_version text,
  reason text,
  attempted_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_update_status_state_idx ON device_update_status (state, attempted_at DESC);

-- Attempts that did something (refused, rolled-back, swapped, committed); an agent resends its
-- last state on every connection, so the key makes a resend a no-op.
CREATE TABLE update_attempts (
  device_id text NOT NULL REFERENCES devices(id),
  attempted_at timestamptz NOT NULL,
  state text NOT NULL,
  from_version text,
  to_version text,
  reason text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, attempted_at, state)
);
CREATE INDEX update_attempts_recent_idx ON update_attempts (attempted_at DESC);

-- The rollout hold: one row at most. While paused, every agent is sent updates.paused = true
-- (no new target); the TUF repository is untouched and stays valid.
CREATE TABLE update_rollout_hold (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  paused boolean NOT NULL,
  reason text NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
