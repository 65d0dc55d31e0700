/**
 * The built-in OS lifecycle table and its review date. `LIFECYCLE_AS_OF` is the day the
 * dates were last checked against their sources; the collector warns at start when it is
 * more than six months old (a release announced since then is missing or still open-ended).
 */
import { MACOS } from './apple.js';
import { LINUX } from './linux.js';
import type { LifecycleEntry } from './types.js';
import { WINDOWS } from './windows.js';

export const LIFECYCLE_AS_OF = '2025-10-31';

export const LIFECYCLE_TABLE: readonly LifecycleEntry[] = [...WINDOWS, ...MACOS, ...LINUX];

/** Six months, in days: how long an open-ended date and the table as a whole are trusted. */
export const STALE_AFTER_DAYS = 183;

/** The warning the collector logs at start, or null while the table is fresh. */
export function lifecycleTableWarning(now: Date, asOf: string = LIFECYCLE_AS_OF): string | null {
  const age = Math.floor((now.getTime() - Date.parse(`${asOf}T00:00:00Z`)) / 86_400_000);
  if (!(age > STALE_AFTER_DAYS)) return null;
  return `OS lifecycle table (shared/src/lifecycle) is ${age} days old (as of ${asOf}): releases announced since then are unknown and open-ended dates are no longer trusted; update it or add entries under policy.lifecycle.releases`;
}
