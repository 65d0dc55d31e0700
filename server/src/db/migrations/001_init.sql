-- Posture schema v1. Runs unchanged on PostgreSQL 15+ and PGlite.
CREATE TABLE collector_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE devices (
  id text PRIMARY KEY,
  fingerprint text NOT NULL UNIQUE,
  hostname text NOT NULL,
  platform text NOT NULL,
  os_name text,
  os_version text,
  model text,
  serial text,
  owner text,
  agent_version text,
  inventory jsonb NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by text,
  last_seen_at timestamptz,
  last_report_at timestamptz,
  last_seq bigint,
  state text NOT NULL DEFAULT 'unknown',
  state_since timestamptz NOT NULL DEFAULT now(),
  failing_checks text[] NOT NULL DEFAULT '{}',
  next_deadline timestamptz,
  spool_evicted bigint NOT NULL DEFAULT 0
);
CREATE INDEX devices_state_idx ON devices (state, last_seen_at DESC);
CREATE INDEX devices_last_seen_idx ON devices (last_seen_at DESC);
CREATE INDEX devices_hostname_idx ON devices (lower(hostname));
CREATE INDEX devices_platform_idx ON devices (platform, os_version);

-- Every key a device ever had, so old reports stay verifiable after rotation.
CREATE TABLE device_keys (
  kid text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  public_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX device_keys_device_idx ON device_keys (device_id);

CREATE TABLE enroll_secrets (
  id text PRIMARY KEY,
  secret_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT 'bootstrap',
  expires_at timestamptz,
  revoked_at timestamptz,
  uses bigint NOT NULL DEFAULT 0,
  last_used_at timestamptz
);

-- The evidence of record: the device-signed report, verbatim, append-only.
CREATE TABLE reports (
  report_id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  seq bigint NOT NULL,
  kid text NOT NULL,
  collected_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  trigger text,
  summary jsonb NOT NULL,
  jws text NOT NULL
);
CREATE INDEX reports_device_time_idx ON reports (device_id, collected_at DESC, report_id DESC);
CREATE INDEX reports_time_idx ON reports (collected_at);

-- Latest result per device and check, with the policy verdict and grace deadline.
CREATE TABLE check_states (
  device_id text NOT NULL REFERENCES devices(id),
  check_id text NOT NULL,
  agent_status text NOT NULL,
  state text NOT NULL,
  since timestamptz NOT NULL,
  failing_since timestamptz,
  deadline timestamptz,
  summary text NOT NULL,
  reasons jsonb NOT NULL DEFAULT '[]',
  evidence jsonb NOT NULL,
  remediation jsonb NOT NULL,
  report_id text NOT NULL,
  collected_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, check_id)
);
CREATE INDEX check_states_state_idx ON check_states (check_id, state);

-- History of state changes; check_id '*' is the device's overall state.
CREATE TABLE state_events (
  id bigserial PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  check_id text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  at timestamptz NOT NULL,
  report_id text,
  detail jsonb
);
CREATE INDEX state_events_device_idx ON state_events (device_id, at);
CREATE INDEX state_events_at_idx ON state_events (at);

-- JWT ids seen within their lifetime (replay protection shared by all collectors).
CREATE TABLE token_jtis (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX token_jtis_exp_idx ON token_jtis (expires_at);

CREATE TABLE users (
  id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text,
  password_hash text,
  role text NOT NULL,
  source text NOT NULL DEFAULT 'local',
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  role text NOT NULL,
  label text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id),
  csrf text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  outcome text NOT NULL DEFAULT 'ok',
  ip text,
  detail jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

CREATE TABLE policy_versions (
  id bigserial PRIMARY KEY,
  policy jsonb NOT NULL,
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  comment text
);

CREATE TABLE exclusions (
  id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  check_id text NOT NULL,
  rationale text NOT NULL,
  approved_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by text
);
CREATE INDEX exclusions_device_idx ON exclusions (device_id);

-- Alerts written in the same transaction as the state change; a worker delivers them.
CREATE TABLE alert_outbox (
  id bigserial PRIMARY KEY,
  dedupe_key text NOT NULL UNIQUE,
  kind text NOT NULL,
  device_id text,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  last_error text
);
CREATE INDEX alert_outbox_pending_idx ON alert_outbox (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE commands (
  id text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id),
  command text NOT NULL,
  payload jsonb,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  completed_at timestamptz,
  result jsonb
);
