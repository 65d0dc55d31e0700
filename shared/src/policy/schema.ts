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
     * How long data is kept, in days. Only the audit log is pruned so far (server/src/audit/prune.ts,
     * daily); at least 400 days so a SOC 2 period and its audit fit, default 400.
     */
    retention: Type.Optional(
      Type.Object({ auditLogDays: Type.Optional(Type.Integer({ minimum: AUDIT_MIN_RETENTION_DAYS, maximum: 36_500 })) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof Policy>;
