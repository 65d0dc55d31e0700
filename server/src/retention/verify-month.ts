/**
 * Before retention digests and drops a month, the month's evidence must verify: the collector
 * builds the bundle of that UTC month into a private temporary directory and runs the same
 * offline verifier an auditor runs (scripts/evidence/verify-bundle.ts) on it. A monthly digest
 * is computed from the database (state events, exclusions, memberships) and signed by the
 * collector; once the month's device-signed reports are dropped nothing can contradict it. So
 * an operator's SQL edit of that month must be caught while the reports still exist, or it
 * becomes signed "truth" (attack pass S4-A1, docs/security.md).
 * Cost: one month's export and verification per pruned month (a month becomes prunable once a
 * month, so in steady state this runs once a month, not daily); memory stays flat as for any
 * export.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monthBounds } from '#shared/evidence/digest.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Db } from '../db/types.js';
import { buildBundle } from '../evidence/bundle.js';
import { loadIdentity } from '../meta/collector-identity.js';
import { verifyBundleDir } from '../../../scripts/evidence/verify-bundle.js';

/**
 * Problems that do not hold a month back: breaks in a device's signed chain (a gap, a seq out
 * of order, a prevHash that does not link) and a signed payload without the chain's fields (an
 * agent older than the chain), in reports.jsonl or at the period's edge. A
 * device can cause those itself (a clock far behind files a report with the next seq into an
 * old month; a device key holder can sign any seq), so holding the month on them would let
 * one device stop the fleet's retention for ever; the digests keep each month's first/last
 * seq and head, so a break between months stays visible. Everything else (figures, events,
 * states at the period's start, exclusions, policy, memberships, audit, signatures) comes
 * from what the collector stored and must verify.
 */
const CHAIN_BREAK = /report\(s\) missing between|duplicate or out of order|does not link to seq|it cannot be replayed/;
const deviceCaused = (p: { file: string; message: string }) =>
  (p.file === 'reports.jsonl' || p.file === 'report-edges.jsonl') && CHAIN_BREAK.test(p.message);

/**
 * Verify the evidence of the UTC month containing `month`. Returns the verifier's problems that hold the
 * month back (all but deviceCaused ones) as `file: message`; empty when the month may be pruned. `currentPolicy`: the policy in force now,
 * used as the bundle does when no version was recorded before the month ended. The temporary
 * directory is created 0700 (mkdtemp) and removed whatever happens.
 */
export async function monthVerifies(db: Db, month: Date, currentPolicy: Policy): Promise<string[]> {
  const { from, to } = monthBounds(month);
  const dir = await mkdtemp(join(tmpdir(), 'posture-retention-verify-'));
  try {
    const identity = await loadIdentity(db);
    await buildBundle({ db, identity, currentPolicy, version: 'retention-check' }, from, to, dir, new Date());
    const r = await verifyBundleDir(dir);
    return r.problems.filter((p) => !deviceCaused(p)).map((p) => `${p.file}: ${p.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
