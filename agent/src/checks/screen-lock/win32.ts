/**
 * Windows: registry values for the current user and machine policy. When the agent runs
 * as a service (SYSTEM), HKCU is SYSTEM's own hive, so the machine inactivity limit is
 * the only reliable source and the evidence says whose settings were read.
 */
import { parseRegQuery, type RegKeys } from '../platform/reg.js';
import type { Collector } from '../types.js';
import { DESKTOP_KEY, DESKTOP_POLICY_KEY, SYSTEM_POLICY_KEY, windowsScreenLock } from './parse-windows.js';

export const collectWin32: Collector<'screen_lock'> = async (ctx) => {
  const results = await Promise.all([DESKTOP_KEY, DESKTOP_POLICY_KEY, SYSTEM_POLICY_KEY].map((k) => ctx.run('reg', ['query', k])));
  const keys: RegKeys = Object.assign({}, ...results.filter((r) => r.ok).map((r) => parseRegQuery(r.stdout)));
  const lock = windowsScreenLock(keys);
  const user = process.env.USERNAME ?? null;
  return {
    facts: { lockEnabled: lock.lockEnabled, idleTimeoutSeconds: lock.idleTimeoutSeconds, session: 'windows' },
    detail: { source: lock.source, user },
    reason: lock.lockEnabled === null ? 'no screen saver or inactivity settings readable for this user' : undefined,
  };
};
