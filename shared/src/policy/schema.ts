/**
 * The compliance policy: reviewable like code (a YAML/JSON file), validated strictly.
 * Per check: required or not, thresholds, grace period, control mapping; per-platform
 * overrides of any of those under `platforms`.
 */
import { AUDIT_MIN_RETENTION_DAYS } from '../audit/chain.js';
import { Type, type Static } from '@sinclair/typebox';
import { UpdateRollout } from './updates.js';
import { PeoplePolicy } from './people.js';
import { CustomChecks } from '../custom-checks/schema.js';
import { LifecyclePolicy } from '../lifecycle/types.js';
import { CheckRule } from './schema-rule.js';
import { PolicyGroups } from './groups.js';

export { CheckRule } from './schema-rule.js';


const CheckWithPlatforms = Type.Composite([
  CheckRule,
  Type.Object({
    controls: Type.Optional(
      Type.Object(
        {
          soc2: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 16 })),
          cis: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 16 })),
          iso27001: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 16 })),
        },
        { additionalProperties: false },
      ),
    ),
    platforms: Type.Optional(
      Type.Object(
        { linux: Type.Optional(CheckRule), darwin: Type.Optional(CheckRule), win32: Type.Optional(CheckRule) },
        { additionalProperties: false },
      ),
    ),
  }),
], { additionalProperties: false });

/** A retention in days: at least the audit minimum (400), at most 100 years. */
const RetentionDays = Type.Integer({ minimum: AUDIT_MIN_RETENTION_DAYS, maximum: 36_500 });

export const Policy = Type.Object(
  {
    version: Type.Literal(1),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    /** How often agents run their checks. */
    intervalSec: Type.Integer({ minimum: 60, maximum: 86_400 }),
    /** No report for longer than this marks a device stale. */
    staleAfterHours: Type.Number({ minimum: 1, maximum: 24 * 90 }),
    checks: Type.Object(
      {
        disk_encryption: CheckWithPlatforms,
        firewall: CheckWithPlatforms,
        antivirus: CheckWithPlatforms,
        patch_level: CheckWithPlatforms,
        usb_storage: CheckWithPlatforms,
        screen_lock: CheckWithPlatforms,
      },
      { additionalProperties: false },
    ),
    /** Checks the customer defines as data (shared/src/custom-checks/): `custom.<slug>` ids. */
    customChecks: Type.Optional(CustomChecks),
    /** Control mapping for the asset inventory itself (evidence only). */
    inventoryControls: Type.Optional(
      Type.Object({ soc2: Type.Array(Type.String({ maxLength: 16 })), cis: Type.Array(Type.String({ maxLength: 16 })) }),
    ),
    alerts: Type.Optional(
      Type.Object(
        {
          webhookUrl: Type.Optional(Type.String({ maxLength: 1000 })),
          /** Which transitions alert. */
          on: Type.Optional(
            Type.Array(Type.Union([Type.Literal('noncompliant'), Type.Literal('stale'), Type.Literal('recovered')]), { maxItems: 3 }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    updates: Type.Optional(UpdateRollout),
    /** OS lifecycle table additions/overrides (shared/src/lifecycle). */
    lifecycle: Type.Optional(LifecyclePolicy),
    evidence: Type.Optional(
      Type.Object(
        { exportRoles: Type.Array(Type.Union([Type.Literal('admin'), Type.Literal('auditor'), Type.Literal('helpdesk')]), { maxItems: 3 }) },
        { additionalProperties: false },
      ),
    ),
    people: Type.Optional(PeoplePolicy),
    /** Per-device-group overrides, applied in this order (later wins): shared/src/policy/groups.ts. */
    groups: Type.Optional(PolicyGroups),
    /**
     * How long each kind of data is kept, in days (docs/retention.md). Each is at least 400 days
     * (a SOC 2 period and its audit fit) and defaults to 400. Pruned daily: the audit log by
     * server/src/audit/prune.ts, signed reports and state events by whole months after a signed
     * monthly digest of each device-month is written (server/src/retention/).
     * `inventoryDays`: inventory history lives inside the signed reports (there is no separate
     * history table yet), so it is bounded by `reportsDays`; the value is validated and kept for
     * the history table to come.
     */
    retention: Type.Optional(
      Type.Object(
        {
          auditLogDays: Type.Optional(RetentionDays),
          reportsDays: Type.Optional(RetentionDays),
          stateEventsDays: Type.Optional(RetentionDays),
          inventoryDays: Type.Optional(RetentionDays),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof Policy>;
