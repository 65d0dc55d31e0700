/**
 * Verify digests.jsonl (shared/src/evidence/digest.ts, docs/retention.md): for a bundle over a
 * period part of which retention pruned, each device-month before `manifest.digests.rawFrom` is
 * proven by the collector's signed monthly digest instead of raw reports. Checked here:
 *  - every digest's signature, with the collector key named by its kid (from the pinned JWKS or
 *    collector-jwks.json), its typ and format, and that it was written while that key was valid;
 *  - the line's device and month match the signed ones; the month is before rawFrom;
 *  - per device, consecutive digests continue one chain (the month's first report signed the
 *    previous month's head, and seq numbers follow, unless the device's signed spool counter
 *    explains a gap); a device's first digest starts at seq 1 or follows an edge digest;
 *  - the count of in-period device-months equals the signed manifest's.
 * The recompute (recompute.ts) then continues each device's chain from its last digest into the
 * raw reports, and combines the digests' seconds with the raw part's (time-weighted).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { compactVerify, importJWK, type JWK } from 'jose';
import { linkProblem } from '#shared/evidence/chain.js';
import { DIGEST_FORMAT, DIGEST_JWS_TYP, DIGESTS_FILE, digestStart, digestTail, type MonthlyDigest } from '#shared/evidence/digest.js';
import type { Manifest } from '#shared/evidence/manifest.js';

type Problem = (file: string, message: string) => void;

/** Per device: the verified digests, month order; `edge` marks the one before the period. */
export interface DeviceDigests {
  all: (MonthlyDigest & { edge: boolean })[];
  inPeriod: MonthlyDigest[];
}
export interface DigestOutcome {
  rawFrom: Date;
  deviceMonths: number;
  byDevice: Map<string, DeviceDigests>;
}

const nextMonth = (m: string) => {
  const [y, mo] = m.split('-').map(Number);
  return new Date(Date.UTC(y, mo, 1)).toISOString().slice(0, 7);
};
/** `YYYY-MM` months strictly between a and b. */
function monthsBetween(a: string, b: string): string[] {
  const out: string[] = [];
  for (let m = nextMonth(a); m < b && out.length < 240; m = nextMonth(m)) out.push(m);
  return out;
}

/** Check digests.jsonl; null when the bundle has no pruned part (manifest.digests absent). */
export async function checkDigests(dir: string, manifest: Manifest, jwks: { keys: JWK[] }, problem: Problem): Promise<DigestOutcome | null> {
  const md = manifest.digests;
  if (!md) return null;
  const rawFrom = new Date(md.rawFrom);
  const keys = new Map<string, { key: Awaited<ReturnType<typeof importJWK>>; validFrom?: string | null; validTo?: string | null }>();
  const byDevice = new Map<string, DeviceDigests>();
  let deviceMonths = 0;
  const rl = createInterface({ input: createReadStream(join(dir, DIGESTS_FILE)), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text) continue;
    let rec: { deviceId?: string; month?: string; kid?: string; jws?: string; edge?: boolean };
    try {
      rec = JSON.parse(text);
    } catch {
      problem(DIGESTS_FILE, `line ${line}: not valid JSON`);
      continue;
    }
    const where = `line ${line}: device ${rec.deviceId} month ${rec.month}`;
    const jwk = (jwks.keys ?? []).find((k) => k.kid === rec.kid) as (JWK & { validFrom?: string | null; validTo?: string | null }) | undefined;
    if (!jwk || typeof rec.jws !== 'string') {
      problem(DIGESTS_FILE, `${where}: signed by key ${rec.kid}, which is not a collector key of this bundle`);
      continue;
    }
    let body: MonthlyDigest;
    try {
      let k = keys.get(rec.kid!);
      if (!k) keys.set(rec.kid!, (k = { key: await importJWK(jwk, 'EdDSA'), validFrom: jwk.validFrom, validTo: jwk.validTo }));
      const v = await compactVerify(rec.jws, k.key, { algorithms: ['EdDSA'] });
      if (v.protectedHeader.typ !== DIGEST_JWS_TYP || v.protectedHeader.kid !== rec.kid) throw new Error(`header typ/kid is not ${DIGEST_JWS_TYP}/${rec.kid}`);
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(v.payload)) as MonthlyDigest;
    } catch (e) {
      problem(DIGESTS_FILE, `${where}: the digest's signature does not verify (${(e as Error).message}): it was changed`);
      continue;
    }
    // A key signs only while it is in force (the key history's validity, as for the manifest).
    const k = keys.get(rec.kid!)!;
    const at = Date.parse(body.createdAt);
    if ((k.validFrom && !(at >= Date.parse(k.validFrom))) || (k.validTo && !(at < Date.parse(k.validTo)))) {
      problem(DIGESTS_FILE, `${where}: written at ${body.createdAt}, outside the validity of its key ${rec.kid} (${k.validFrom ?? '(start)'} to ${k.validTo ?? '(now)'})`);
      continue;
    }
    if (body.format !== DIGEST_FORMAT) problem(DIGESTS_FILE, `${where}: unknown digest format ${String(body.format)}`);
    if (body.deviceId !== rec.deviceId || body.month !== rec.month) {
      problem(DIGESTS_FILE, `${where}: the signed digest is for device ${body.deviceId} month ${body.month}`);
      continue;
    }
    if (Date.parse(body.to) > rawFrom.getTime()) problem(DIGESTS_FILE, `${where}: month ends after ${md.rawFrom}, where the bundle's raw reports start`);
    const dd = byDevice.get(body.deviceId) ?? { all: [], inPeriod: [] };
    dd.all.push({ ...body, edge: !!rec.edge });
    if (!rec.edge) {
      dd.inPeriod.push(body);
      deviceMonths++;
    }
    byDevice.set(body.deviceId, dd);
  }
  if (deviceMonths !== md.deviceMonths) problem(DIGESTS_FILE, `${deviceMonths} device-months of digests, the signed manifest says ${md.deviceMonths}`);
  for (const [id, dd] of byDevice) {
    dd.all.sort((a, b) => a.month.localeCompare(b.month));
    // The chain runs through the months with reports; a silent month's digest (reports 0) has
    // no chain fields and only adds its seconds (stale time) to the figures.
    const chained = dd.all.filter((x) => x.reports > 0);
    const first = chained[0];
    if (first && !first.edge && first.firstSeq !== 1)
      problem(DIGESTS_FILE, `device ${id} month ${first.month}: starts at seq ${first.firstSeq} with no earlier digest it links to: the digest of an earlier month is missing`);
    for (const x of dd.all)
      if (x.reports === 0 && (x.firstSeq !== null || x.lastSeq !== null || x.head !== null)) problem(DIGESTS_FILE, `device ${id} month ${x.month}: a digest of no reports carries chain fields`);
    for (let i = 1; i < chained.length; i++) {
      const prev = chained[i - 1];
      const next = chained[i];
      const bad = linkProblem(digestTail(prev), digestStart(next), `digest ${next.month}`);
      if (!bad) continue;
      const gap = monthsBetween(prev.month, next.month);
      problem(DIGESTS_FILE, `device ${id} month ${next.month}: does not continue month ${prev.month}${gap.length ? ` (no digest for ${gap.join(', ')}: missing)` : ''}: ${bad}`);
    }
  }
  return { rawFrom, deviceMonths, byDevice };
}
