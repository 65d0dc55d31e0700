/**
 * Policy section `updates`: how the fleet's agents roll onto new signed releases.
 *   channel        stable (default) | beta (beta also takes stable releases)
 *   pinnedVersion  run exactly this version (also a deliberate downgrade); wins over channel
 *   percentage     staged rollout: a device takes a new release only when its stable hash
 *                  (inRollout) falls in the first N % (default 100)
 *   paused         stop all updates (help desk: the collector sets it without a policy edit)
 *   checkIntervalHours how often agents look for a release (default 6; `update-now` any time)
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

export const UpdateRollout = Type.Object(
  {
    channel: Type.Optional(Type.Union([Type.Literal('stable'), Type.Literal('beta')])),
    pinnedVersion: Type.Optional(Type.String({ maxLength: 40, pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.]+)?$' })),
    percentage: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    paused: Type.Optional(Type.Boolean()),
    checkIntervalHours: Type.Optional(Type.Number({ minimum: 0.1, maximum: 24 * 30 })),
  },
  { additionalProperties: false },
);
export type UpdateRollout = Static<typeof UpdateRollout>;

/**
 * Whether a device is in the first `percentage` % of a staged rollout: the first 8 hex digits
 * of SHA-256(deviceId) as a fraction of 2^32. Stable per device, so the same early devices
 * take every release first and raising the percentage only adds devices.
 */
export function inRollout(deviceId: string, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  const h = parseInt(createHash('sha256').update(deviceId).digest('hex').slice(0, 8), 16);
  return h / 0x1_0000_0000 < percentage / 100;
}
