/**
 * The policy's `groups:` section: per-device-group overrides of any check setting (required,
 * thresholds, grace, platform overrides), of the report interval, the stale threshold and
 * the owner requirement. Which devices are in a group is not policy: groups and their
 * members live in the collector (server/src/groups/); the policy names them.
 *
 * Precedence (docs/groups.md), lowest to highest, for each setting of each check:
 *   built-in default → the check's rule → its `platforms.<os>` override
 *   → for each of the device's groups, in the order of `groups:` in the policy (later wins):
 *       the group's rule for the check → the group's `platforms.<os>` override for it.
 * A device in no listed group gets the policy unchanged.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CheckRule } from './schema-rule.js';

const PlatformRules = Type.Object(
  { linux: Type.Optional(CheckRule), darwin: Type.Optional(CheckRule), win32: Type.Optional(CheckRule) },
  { additionalProperties: false },
);

/** One check's override in a group: any check setting, and per-platform ones. */
export const GroupCheckOverride = Type.Composite([CheckRule, Type.Object({ platforms: Type.Optional(PlatformRules) })], { additionalProperties: false });
export type GroupCheckOverride = Static<typeof GroupCheckOverride>;

/** A group name: also what the collector's groups are called (server/src/groups/). */
export const GROUP_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
export const GroupName = Type.String({ minLength: 1, maxLength: 64, pattern: GROUP_NAME_PATTERN });

export const PolicyGroup = Type.Object(
  {
    name: GroupName,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    intervalSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
    staleAfterHours: Type.Optional(Type.Number({ minimum: 1, maximum: 24 * 90 })),
    /** Keyed by check id (a built-in id or a declared `custom.<slug>`); checked when loaded. */
    checks: Type.Optional(Type.Record(Type.String({ maxLength: 80 }), GroupCheckOverride)),
    people: Type.Optional(
      Type.Object(
        { ownerRequired: Type.Optional(Type.Boolean()), ownerGraceHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 365 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PolicyGroup = Static<typeof PolicyGroup>;

export const PolicyGroups = Type.Array(PolicyGroup, { maxItems: 200 });
