-- The collector's evidence-signing key history: every key it ever signed manifests with, and
-- when each was in force. Exactly one key has valid_to NULL (the current one). A rotated-out
-- key keeps its public half (bundles signed with it must still verify) and loses its private half.
CREATE TABLE collector_keys (
  kid text PRIMARY KEY,
  public_jwk jsonb NOT NULL,
  private_jwk text,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  created_by text NOT NULL,
  CHECK (valid_to IS NULL OR valid_to >= valid_from),
  CHECK (valid_to IS NOT NULL OR private_jwk IS NOT NULL)
);
CREATE UNIQUE INDEX collector_keys_one_current ON collector_keys ((true)) WHERE valid_to IS NULL;
