/**
 * One check's settings (required, grace, thresholds, fix steps): the unit both the policy's
 * checks and its group overrides (groups.ts) are made of. Its own file so groups.ts does not
 * import the whole policy schema.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PatchRuleFields } from './patch.js';

const Hours = Type.Number({ minimum: 0, maximum: 24 * 365 });
const Version = Type.String({ maxLength: 32, pattern: '^[0-9]+(\\.[0-9]+)*$' });

export const CheckRule = Type.Object(
  {
    required: Type.Optional(Type.Boolean()),
    /** Hours a check may fail before the device becomes noncompliant. */
    graceHours: Type.Optional(Hours),
    // thresholds (each applies only to the check that reads it)
    maxPendingSecurityUpdates: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    maxPendingUpdates: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    maxDaysSinceUpdate: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    minOsVersion: Type.Optional(Version),
    requireAutoUpdates: Type.Optional(Type.Boolean()),
    maxDefinitionAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
    maxIdleSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    /** 'blocked' = no mass storage at all, 'read_only' = blocked or read-only, 'any' = report only */
    usb: Type.Optional(Type.Union([Type.Literal('blocked'), Type.Literal('read_only'), Type.Literal('any')])),
    /** Firewall: every profile (Windows Domain/Private/Public) must be on, not only the active one. */
    requireAllProfiles: Type.Optional(Type.Boolean()),
    ...PatchRuleFields, // patch_level: per-family OS floors, end of support, no-security-metadata thresholds (patch.ts)
    /** The company's own help page for this check, shown with the fix steps (My-device page, notifications). */
    remediationUrl: Type.Optional(Type.String({ maxLength: 500 })),
    /** Replaces the check's built-in fix steps (e.g. the company's own instructions). */
    remediation: Type.Optional(
      Type.Object({ steps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 12 })) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type CheckRule = Static<typeof CheckRule>;
