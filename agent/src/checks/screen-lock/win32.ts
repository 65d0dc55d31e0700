/**
 * Windows: registry values for the current user and machine policy, and the power plan
 * (sleep after N seconds + "require a password on wakeup"). When the agent runs as a
 * service (SYSTEM), HKCU is SYSTEM's own hive, so the machine inactivity limit and the
 * power plan are the reliable sources and the evidence says whose settings were read.
 */
import { parseRegQuery, type RegKeys } from '../platform/reg.js';
import type { Collector } from '../types.js';
import { CONSOLELOCK, parsePowercfgSetting, powerPlanLock, STANDBYIDLE } from './parse-powercfg.js';
import { DESKTOP_KEY, DESKTOP_POLICY_KEY, SYSTEM_POLICY_KEY, windowsScreenLock } from './parse-windows.js';

type Lock = { lockEnabled: boolean | null; idleTimeoutSeconds: number | null; source: string | null };

/** The quickest mechanism that locks wins; "does not lock" only when every known one says so. */
export function combineLocks(locks: Lock[]): Lock {
  const on = locks.filter((l) => l.lockEnabled === true && l.idleTimeoutSeconds !== null).sort((a, b) => a.idleTimeoutSeconds! - b.idleTimeoutSeconds!);
  if (on.length) return on[0];
  const onNoTimeout = locks.find((l) => l.lockEnabled === true);
  if (onNoTimeout) return onNoTimeout;
  const known = locks.filter((l) => l.lockEnabled !== null);
  return known.length ? { lockEnabled: false, idleTimeoutSeconds: null, source: known.map((l) => l.source).join(', ') } : { lockEnabled: null, idleTimeoutSeconds: null, source: null };
}

export const collectWin32: Collector<'screen_lock'> = async (ctx) => {
  const [results, consoleLock, standby] = await Promise.all([
    Promise.all([DESKTOP_KEY, DESKTOP_POLICY_KEY, SYSTEM_POLICY_KEY].map((k) => ctx.run('reg', ['query', k]))),
    ctx.run('powercfg', ['/query', 'SCHEME_CURRENT', 'SUB_NONE', 'CONSOLELOCK']),
    ctx.run('powercfg', ['/query', 'SCHEME_CURRENT', 'SUB_SLEEP', 'STANDBYIDLE']),
  ]);
  const keys: RegKeys = Object.assign({}, ...results.filter((r) => r.ok).map((r) => parseRegQuery(r.stdout)));
  const registry = windowsScreenLock(keys);
  const cl = consoleLock.ok ? parsePowercfgSetting(consoleLock.stdout, CONSOLELOCK) : null;
  const sb = standby.ok ? parsePowercfgSetting(standby.stdout, STANDBYIDLE) : null;
  const power = { ...powerPlanLock(cl, sb), source: 'power plan (sleep + password on wakeup)' };
  // The machine inactivity limit is policy and always applies; otherwise the quickest lock wins.
  const lock = registry.source === 'InactivityTimeoutSecs' ? registry : combineLocks([registry, power]);
  const user = process.env.USERNAME ?? null;
  return {
    facts: { lockEnabled: lock.lockEnabled, idleTimeoutSeconds: lock.idleTimeoutSeconds, session: 'windows' },
    detail: { source: lock.source, user, powerPlan: { consoleLock: cl, sleepAfterSeconds: sb } },
    reason: lock.lockEnabled === null ? 'no screen saver, inactivity or power plan settings readable for this user' : undefined,
  };
};
