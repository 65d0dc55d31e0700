/**
 * Leave an unchanged installed-software list out of a report. On a laptop it is most of the
 * report (909 packages = 48 KB of a 49 KB payload on a Debian VM, docs/benchmarks.md) and it
 * rarely changes, yet every report is stored verbatim for at least 400 days. Only with a
 * collector that announced FEATURE_SOFTWARE_DELTA: the report then carries the list's hash in
 * every report and the list itself when the hash differs from the last list put into a report,
 * or that was a day or more ago (so a list lost with an evicted report, or a collector that lost
 * it, comes back within a day). Without the feature, the report is exactly as before: the whole
 * list and no hash (an older collector refuses unknown fields).
 */
import { readFileSync } from 'node:fs';
import { softwareListHash, type Inventory } from '#shared/protocol/inventory.js';
import { writeFileAtomic } from '../state/atomic.js';
import { files } from '../state/paths.js';

/** How long a list may be left out after it was last sent: 24 h. */
export const SOFTWARE_RESEND_MS = 24 * 3600_000;

/** What the state dir remembers: the collector takes lists by hash; the last list sent, when. */
export interface SoftwareSentState {
  accepts: boolean;
  last: { hash: string; at: string } | null;
}

/**
 * Pure: the inventory to sign, and the `last` to remember if this report is stored (null: the
 * list was left out, keep the old one). `inventory.software` undefined (not collected): as is.
 */
export function softwareDelta(inv: Inventory, st: SoftwareSentState, now: Date): { inventory: Inventory; sent: { hash: string; at: string } | null } {
  if (!st.accepts || !inv.software) {
    const { softwareHash: _drop, ...plain } = inv;
    return { inventory: plain, sent: null };
  }
  const hash = softwareListHash(inv.software);
  const last = st.last;
  const age = last ? now.getTime() - Date.parse(last.at) : Infinity;
  // A clock set back makes the age negative: send the list then too.
  if (!last || last.hash !== hash || !(age >= 0 && age < SOFTWARE_RESEND_MS)) return { inventory: { ...inv, softwareHash: hash }, sent: { hash, at: now.toISOString() } };
  const { software: _left, ...rest } = inv;
  return { inventory: { ...rest, softwareHash: hash }, sent: null };
}

/** The remembered state; a missing or unreadable file is "nothing sent, feature not known". */
export function loadSoftwareSent(stateDir: string): SoftwareSentState {
  try {
    const j = JSON.parse(readFileSync(files(stateDir).softwareSent, 'utf8')) as Partial<SoftwareSentState>;
    const last = j.last && typeof j.last.hash === 'string' && /^[0-9a-f]{64}$/.test(j.last.hash) && typeof j.last.at === 'string' ? { hash: j.last.hash, at: j.last.at } : null;
    return { accepts: j.accepts === true, last };
  } catch {
    return { accepts: false, last: null };
  }
}

export function saveSoftwareSent(stateDir: string, st: SoftwareSentState): void {
  writeFileAtomic(files(stateDir).softwareSent, JSON.stringify(st) + '\n', 0o600);
}
