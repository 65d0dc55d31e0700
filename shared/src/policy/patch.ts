/**
 * patch_level policy fields beyond the basic thresholds (spread into CheckRule, so the
 * per-platform overrides carry them too):
 * - `minOsVersionBy`: OS version floor per lifecycle family (`ubuntu`, `debian`, `rhel`,
 *   `rocky`, `windows`, `windows-server`, `macos`, …): one number cannot be a floor for
 *   every Linux distribution. Wins over `minOsVersion` for that family.
 * - `requireSupportedOs` (default true): an OS past its end of security support fails.
 * - `withoutSecurityMetadata`: what decides when the package manager has no security
 *   classification (EL rebuild mirrors without updateinfo, pacman, third-party repos).
 *   Without it such a machine is never `pass`: every threshold set must be known and met.
 */
import { Type, type Static } from '@sinclair/typebox';

const Version = Type.String({ maxLength: 32, pattern: '^[0-9]+(\\.[0-9]+)*$' });

export const WithoutSecurityMetadata = Type.Object(
  {
    /** Most pending updates (of any kind) allowed. */
    maxPendingUpdates: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    /** Oldest pending update at most this many days old (since it was published). */
    maxOldestPendingDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    /** Last package update at most this many days ago. */
    maxDaysSinceUpdate: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type WithoutSecurityMetadata = Static<typeof WithoutSecurityMetadata>;

export const PatchRuleFields = {
  minOsVersionBy: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9-]{1,32}$' }), Version, { maxProperties: 64 })),
  requireSupportedOs: Type.Optional(Type.Boolean()),
  withoutSecurityMetadata: Type.Optional(WithoutSecurityMetadata),
};
