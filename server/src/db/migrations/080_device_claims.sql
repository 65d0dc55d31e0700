-- Issue 14: employees claim their device on the My-device page by signing in with the company SSO.
-- An OIDC sign-in in progress is either a dashboard login or a device claim; a claim's state is
-- bound to the My-device session's device when it starts, so it cannot be finished for another one.
ALTER TABLE oidc_logins ADD COLUMN purpose text NOT NULL DEFAULT 'dashboard' CHECK (purpose IN ('dashboard', 'claim'));
ALTER TABLE oidc_logins ADD COLUMN device_id text REFERENCES devices(id) ON DELETE CASCADE;

-- A claim whose ID token has verified, waiting for the browser to come back to the My-device
-- page (where the SameSite=Strict session cookie is sent again) to be applied. Keyed by a hash
-- of a random handle held in the same browser's cookie; single use, minutes long.
CREATE TABLE device_claims_pending (
  handle_hash text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  subject text NOT NULL,
  email text NOT NULL,
  display_name text,
  issuer text NOT NULL,
  expires_at timestamptz NOT NULL
);
