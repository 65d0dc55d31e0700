-- Device groups (issue 14): static (members assigned by admin/helpdesk) or by rule (platform,
-- owner's IdP group, owner's department, hostname pattern, enrolment tag). The policy's
-- `groups:` section names them to override check settings (shared/src/policy/groups.ts).
CREATE TABLE device_groups (
  id text PRIMARY KEY,
  -- The name the policy uses; immutable (membership history and policies refer to it).
  name text NOT NULL,
  description text,
  kind text NOT NULL CHECK (kind IN ('static', 'rule')),
  -- kind 'rule': { platform?, idpGroup?, department?, hostname?, tag? } (server/src/groups/rule.ts)
  rule jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX device_groups_name_uq ON device_groups (lower(name));

-- Membership windows: a row per stay of a device in a group (until NULL = still a member).
-- Kept after the group or device goes: the evidence bundle replays reports under the groups
-- the device was in at each report (group-memberships.csv). group_name is copied so a
-- deleted group's history still names it.
CREATE TABLE device_group_members (
  id bigserial PRIMARY KEY,
  group_id text NOT NULL,
  group_name text NOT NULL,
  device_id text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  -- 'static' (assigned) or 'rule' (matched the group's rule)
  source text NOT NULL CHECK (source IN ('static', 'rule')),
  since timestamptz NOT NULL,
  until timestamptz,
  added_by text NOT NULL
);
CREATE UNIQUE INDEX device_group_members_open_uq ON device_group_members (group_id, device_id) WHERE until IS NULL;
CREATE INDEX device_group_members_device_idx ON device_group_members (device_id) WHERE until IS NULL;
CREATE INDEX device_group_members_window_idx ON device_group_members (device_id, since);

-- Tags given at enrolment (`posture-agent enroll --tag T`), for rule-based groups.
ALTER TABLE devices ADD COLUMN enroll_tags text[] NOT NULL DEFAULT '{}';
