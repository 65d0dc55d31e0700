-- People (employees) and who owns each device, with the source of that assignment.
CREATE TABLE people (
  id text PRIMARY KEY,
  email text NOT NULL,
  -- SCIM userName as the identity provider sent it (usually the email); unique when present.
  user_name text,
  display_name text,
  given_name text,
  family_name text,
  department text,
  manager text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'offboarded')),
  -- Where the record came from: 'scim', 'admin', 'enrollment', 'employee', 'csv'.
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  offboarded_at timestamptz,
  -- SCIM DELETE: the person stays (their devices' offboarding is evidence) but leaves SCIM's view.
  deleted_at timestamptz,
  -- SCIM meta.version: bumped on every change (weak ETag).
  version bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX people_email_uq ON people (lower(email));
CREATE UNIQUE INDEX people_user_name_uq ON people (lower(user_name)) WHERE user_name IS NOT NULL;
CREATE INDEX people_status_idx ON people (status);

-- External ids per source ("okta" → "00u1abc", "scim" → externalId); one person per id per source.
CREATE TABLE person_external_ids (
  person_id text NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  source text NOT NULL,
  external_id text NOT NULL,
  PRIMARY KEY (source, external_id)
);
CREATE INDEX person_external_ids_person_idx ON person_external_ids (person_id);

-- Identity-provider groups (SCIM Groups) and their members.
CREATE TABLE idp_groups (
  id text PRIMARY KEY,
  display_name text NOT NULL,
  external_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX idp_groups_name_uq ON idp_groups (lower(display_name));
CREATE TABLE idp_group_members (
  group_id text NOT NULL REFERENCES idp_groups(id) ON DELETE CASCADE,
  person_id text NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, person_id)
);
CREATE INDEX idp_group_members_person_idx ON idp_group_members (person_id);

-- The device's owner: a person plus the source of the assignment (trust order in
-- server/src/people/trust.ts). devices.owner stays the display label (the person's email, or
-- the logged-in user while nobody is assigned); inferred_owner is what the last report said.
ALTER TABLE devices ADD COLUMN owner_person_id text REFERENCES people(id) ON DELETE SET NULL;
ALTER TABLE devices ADD COLUMN owner_source text;
ALTER TABLE devices ADD COLUMN owner_set_at timestamptz;
ALTER TABLE devices ADD COLUMN owner_set_by text;
ALTER TABLE devices ADD COLUMN inferred_owner text;
-- Offboarding: set when the owner became inactive; the outcome closes it.
ALTER TABLE devices ADD COLUMN offboard_since timestamptz;
ALTER TABLE devices ADD COLUMN offboard_deadline timestamptz;
ALTER TABLE devices ADD COLUMN offboard_outcome text;
ALTER TABLE devices ADD COLUMN offboard_outcome_at timestamptz;
-- Reports received after the owner left (a leaver's laptop still in use).
ALTER TABLE devices ADD COLUMN reported_after_offboard_at timestamptz;
UPDATE devices SET inferred_owner = owner, owner_source = CASE WHEN owner IS NULL THEN NULL ELSE 'inferred' END;
CREATE INDEX devices_owner_person_idx ON devices (owner_person_id);
CREATE INDEX devices_offboard_idx ON devices (offboard_deadline) WHERE offboard_since IS NOT NULL AND offboard_outcome IS NULL;

-- Things that happen to a device that are not check verdicts: owner changes, offboarding.
-- (state_events stays the verdict history the evidence code recomputes.)
CREATE TABLE device_events (
  id bigserial PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  actor text NOT NULL,
  detail jsonb
);
CREATE INDEX device_events_device_idx ON device_events (device_id, at DESC);
