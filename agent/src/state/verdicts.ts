/**
 * last-verdicts.json: the collector's last answer about this device (states, exclusions,
 * deadlines, the policy's fix steps), kept so `status` can tell the truth while the
 * collector is unreachable: an exclusion IT granted stays excluded, a deadline stays a
 * deadline. Written atomically each time the agent reads the collector's state.
 */
import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { compile } from '#shared/schema/validate.js';
import { writeFileAtomic } from './atomic.js';
import { files } from './paths.js';

const Row = Type.Object(
  {
    id: Type.String({ maxLength: 128 }),
    title: Type.String({ maxLength: 500 }),
    state: Type.String({ maxLength: 32 }),
    summary: Type.String({ maxLength: 4000 }),
    deadline: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    collectedAt: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    remediation: Type.Object({ steps: Type.Array(Type.String({ maxLength: 4000 }), { maxItems: 50 }), url: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]) }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

/** The file's shape: the collector's /my-device/api/state answer and when the agent received it. */
export const KeptVerdicts = Type.Object({
  v: Type.Literal(1),
  /** ISO time the agent received this answer: the verdicts' age is measured from it. */
  receivedAt: Type.String({ maxLength: 40 }),
  deviceId: Type.String({ maxLength: 64 }),
  state: Type.Object(
    {
      device: Type.Object({ id: Type.String(), state: Type.String(), nextDeadline: Type.Union([Type.String(), Type.Null()]), lastReportAt: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: true }),
      checks: Type.Array(Row, { maxItems: 500 }),
      serverTime: Type.String(),
    },
    { additionalProperties: true },
  ),
});
export interface KeptVerdicts {
  v: 1;
  receivedAt: string;
  deviceId: string;
  state: import('../notify/link.js').CollectorDeviceState;
}
const validator = compile(KeptVerdicts);

/** Keep the collector's answer. Never throws: a read-only or foreign state dir only loses the offline view. */
export function keepVerdicts(dir: string, deviceId: string, state: KeptVerdicts['state'], now = new Date()): void {
  try {
    const kept: KeptVerdicts = { v: 1, receivedAt: now.toISOString(), deviceId, state };
    if (!validator.check(kept)) return;
    writeFileAtomic(files(dir).verdicts, JSON.stringify(kept), 0o600);
  } catch {
    /* informational copy */
  }
}

/** The kept verdicts of this device, or null (none, unreadable, damaged or another device's). */
export function readKeptVerdicts(dir: string, deviceId: string): KeptVerdicts | null {
  try {
    const raw = JSON.parse(readFileSync(files(dir).verdicts, 'utf8'));
    if (!validator.check(raw)) return null;
    const kept = raw as unknown as KeptVerdicts;
    return kept.deviceId === deviceId ? kept : null;
  } catch {
    return null;
  }
}
