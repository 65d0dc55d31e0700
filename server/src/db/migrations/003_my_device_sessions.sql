-- My-device page sessions: a device-signed link token is exchanged once for this short-lived
-- cookie session, scoped to one device. The cookie is stored hashed; csrf guards the POSTs.
CREATE TABLE my_device_sessions (
  id_hash text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  csrf text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX my_device_sessions_exp_idx ON my_device_sessions (expires_at);
