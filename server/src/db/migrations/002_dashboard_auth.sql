-- Issue 5: OIDC sign-in state, and indexes for the dashboard at fleet scale.
-- An OIDC login in progress: state (hashed) -> PKCE verifier, nonce, where to go after, bound to a browser cookie.
CREATE TABLE oidc_logins (
  state_hash text PRIMARY KEY,
  browser_hash text NOT NULL,
  code_verifier text NOT NULL,
  nonce text NOT NULL,
  next_url text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

-- "Failing check" filter: failing_checks is an array, searched with = ANY / @>.
CREATE INDEX devices_failing_checks_idx ON devices USING gin (failing_checks);
-- Owner search and sort.
CREATE INDEX devices_owner_idx ON devices (owner);
-- Trend chart: device-level events over a time window.
CREATE INDEX state_events_device_level_idx ON state_events (at) WHERE check_id = '*';
-- Audit entries about one device (device page, "who did what").
CREATE INDEX audit_log_target_idx ON audit_log (target, id DESC);
