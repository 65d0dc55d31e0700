/**
 * Offline verification of an evidence bundle directory. Everything is checked and every
 * problem is reported with the file it concerns (one flipped byte anywhere fails):
 *  1. manifest.jws verifies with the collector key in collector-jwks.json (or the pinned JWKS),
 *     whose RFC 7638 thumbprint must equal the JWS kid;
 *  2. the signed payload equals manifest.json byte for byte;
 *  3. every listed file exists with the listed size and SHA-256, and no unlisted file is present;
 *  4. every line of reports.jsonl verifies with its device key from device-keys.json, the
 *     signed payload's reportId/deviceId/collectedAt match the line and the key's device, and
 *     no report was collected after its key was retired by rotation;
 *  5. the figures, recomputed from the signed reports (recompute.ts);
 *  6. the audit chain in audit.csv from the signed link to the signed head, and every exclusion,
 *     policy version and revocation the bundle shows matched by an audit entry (audit-check.ts);
 *  7. summary.html's figures against the recomputed ones (summary-check.ts), and each archived or
 *     deleted device in device-lifecycle.csv against devices.csv and its audit entry (lifecycle-check.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { ReportPayload } from '#shared/protocol/messages.js';
import { Recompute } from './recompute.js';
import { checkAuditLog, type AuditCheckOutcome } from './audit-check.js';
import { checkDigests, type DigestOutcome } from './digest-check.js';
import { checkSummary } from './summary-check.js';
import { checkDeviceLifecycle, type LifecycleOutcome } from './lifecycle-check.js';
import type { AuditChainHead } from '#shared/audit/chain.js';
import {
  COLLECTOR_JWKS_FILE, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_FORMAT_NO_AUDIT, MANIFEST_JWS_FILE, isSafeBundlePath, type Manifest,
} from '#shared/evidence/manifest.js';

export interface VerifyOutcome {
  ok: boolean;
  problems: { file: string; message: string }[];
  /** The signing key; keys = how many keys the trusted set holds (the history); rotatedOut = when the signing key was rotated out. */
  collector?: { id: string; kid: string; thumbprint: string; keys: number; rotatedOut?: string };
  period?: { from: string; to: string };
  filesChecked: number;
  reportsChecked: number;
  reportsFailed: number;
  /** What was recomputed from the signed reports (devices, events, chains). */
  recomputed?: { devices: number; events: number; chains: number };
  /** Audit entries whose chain was checked, and bundle facts matched to an entry. */
  audit?: AuditCheckOutcome;
  /** A format-2 bundle: exported before the audit chain, so the audit log is not in it (not checked). */
  auditAbsent?: boolean;
  /** The audit chain head this bundle signs (to pass as the anchor when verifying the next one). */
  auditHead?: AuditChainHead | null;
  /** Device-months proven by signed monthly digests instead of raw reports (retention pruned them). */
  digests?: { deviceMonths: number; rawFrom: string };
  /** How many summary.html figures were recomputed and compared. */
  summaryFigures?: number;
  /** summary.html carries no machine-readable figures (exported before they were added): not checked. */
  summaryUnbound?: boolean;
  /** device-lifecycle.csv: archived and deleted devices, matched to audit entries. */
  lifecycle?: LifecycleOutcome;
}

const MAX_LISTED_REPORT_PROBLEMS = 20;
const decoder = new TextDecoder('utf-8', { fatal: true });

async function sha256File(p: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(p)) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

async function readJson<T>(p: string): Promise<T> {
  return JSON.parse(decoder.decode(await readFile(p))) as T;
}

/** opts.auditAnchor: the audit chain head an earlier bundle signed (see audit-check.ts). */
export async function verifyBundleDir(dir: string, pinned?: { keys: JWK[] }, opts: { auditAnchor?: AuditChainHead } = {}): Promise<VerifyOutcome> {
  const out: VerifyOutcome = { ok: false, problems: [], filesChecked: 0, reportsChecked: 0, reportsFailed: 0 };
  const problem = (file: string, message: string) => out.problems.push({ file, message });

  // 1–2: the signature over the manifest.
  let manifest: Manifest | null = null;
  try {
    const jws = (await readFile(join(dir, MANIFEST_JWS_FILE), 'utf8')).trim();
    const header = decodeProtectedHeader(jws);
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw new Error('header must be EdDSA with a kid');
    const jwks = pinned ?? (await readJson<{ keys: JWK[] }>(join(dir, COLLECTOR_JWKS_FILE)));
    const jwk = (jwks.keys ?? []).find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`signed by key ${header.kid}, which is not in ${pinned ? 'the pinned JWKS' : COLLECTOR_JWKS_FILE}`);
    const { kid: _k, alg: _a, use: _u, ...pub } = jwk;
    const thumbprint = await calculateJwkThumbprint(pub as JWK);
    if (thumbprint !== header.kid) throw new Error(`key id ${header.kid} is not the thumbprint of its key (${thumbprint})`);
    const { payload } = await compactVerify(jws, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
    const onDisk = await readFile(join(dir, MANIFEST_FILE));
    if (!Buffer.from(payload).equals(onDisk)) problem(MANIFEST_FILE, 'does not match the signed manifest in manifest.jws');
    manifest = JSON.parse(decoder.decode(payload)) as Manifest;
    out.collector = { id: manifest.collector?.id, kid: header.kid, thumbprint, keys: jwks.keys.length };
    // A rotated-out key signs only what was exported while it was in force (validity from the
    // key history: the pinned JWKS's when it carries one, else the bundle's own).
    const v = jwk as JWK & { validFrom?: string | null; validTo?: string | null };
    const at = Date.parse(manifest.generatedAt);
    if ((v.validFrom && !(at >= Date.parse(v.validFrom))) || (v.validTo && !(at < Date.parse(v.validTo))))
      problem(MANIFEST_JWS_FILE, `signed by key ${header.kid}, valid from ${v.validFrom ?? '(start)'} to ${v.validTo ?? '(now)'}, but the manifest was generated at ${manifest.generatedAt}: outside the key's validity`);
    if (v.validTo) out.collector.rotatedOut = v.validTo;
    out.period = manifest.period;
    if (manifest.format !== MANIFEST_FORMAT && manifest.format !== MANIFEST_FORMAT_NO_AUDIT) problem(MANIFEST_FILE, `unknown format ${String(manifest.format)}`);
    if (manifest.collector?.kid !== header.kid) problem(MANIFEST_FILE, 'collector kid differs from the signing key');
  } catch (e) {
    problem(MANIFEST_JWS_FILE, `signature check failed: ${(e as Error).message}`);
  }
  if (!manifest) {
    // Still check the files against the unsigned manifest, so a damaged file is named too.
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    } catch (e) {
      problem(MANIFEST_FILE, `unreadable: ${(e as Error).message}`);
      return out;
    }
  }

  // 3: every file's hash; nothing unlisted.
  const listed = new Set<string>([MANIFEST_FILE, MANIFEST_JWS_FILE]);
  for (const f of manifest.files ?? []) {
    if (!isSafeBundlePath(f.path)) {
      problem(MANIFEST_FILE, `unsafe file name ${JSON.stringify(f.path)}`);
      continue;
    }
    listed.add(f.path);
    try {
      const got = await sha256File(join(dir, f.path));
      if (got.bytes !== f.bytes || got.sha256 !== f.sha256) problem(f.path, `SHA-256 mismatch (manifest ${f.sha256.slice(0, 16)}…, ${f.bytes} bytes; file ${got.sha256.slice(0, 16)}…, ${got.bytes} bytes)`);
      out.filesChecked++;
    } catch (e) {
      problem(f.path, `missing or unreadable: ${(e as Error).message}`);
    }
  }
  for (const name of await readdir(dir)) if (!listed.has(name)) problem(name, 'present in the bundle but not listed in the manifest');

  // 4: device signatures on every report.
  const keys: KeyMap = new Map();
  let rc: Recompute | null = null;
  try {
    const dk = await readJson<{ keys: { kid: string; deviceId: string; publicJwk: JWK; retiredAt?: string | null }[] }>(join(dir, 'device-keys.json'));
    for (const k of dk.keys) keys.set(k.kid, { deviceId: k.deviceId, jwk: k.publicJwk, retiredAt: k.retiredAt ? Date.parse(k.retiredAt) : null });
  } catch (e) {
    problem('device-keys.json', `unreadable: ${(e as Error).message}`);
  }
  try {
    await stat(join(dir, 'reports.jsonl'));
    // 5: the figures, recomputed from the signed reports (scripts/evidence/recompute.ts).
    // The pruned part of the period first: the recompute continues each chain from its last digest.
    let dg: DigestOutcome | null = null;
    try {
      dg = await checkDigests(dir, manifest, pinned ?? (await readJson<{ keys: JWK[] }>(join(dir, COLLECTOR_JWKS_FILE))), problem);
      if (dg) out.digests = { deviceMonths: dg.deviceMonths, rawFrom: dg.rawFrom.toISOString() };
    } catch (e) {
      problem('digests.jsonl', `could not be checked: ${(e as Error).message}`);
    }
    rc = await Recompute.open(dir, manifest, keys, problem, dg);
    const rl = createInterface({ input: createReadStream(join(dir, 'reports.jsonl')), crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (!text) continue;
      out.reportsChecked++;
      const r = await verifyReportLine(text, keys);
      if (typeof r === 'string') {
        out.reportsFailed++;
        if (out.reportsFailed <= MAX_LISTED_REPORT_PROBLEMS) problem('reports.jsonl', `line ${line}: ${r}`);
      } else rc?.report(r.payload, r.jws, line, r.receivedAt ? Date.parse(r.receivedAt) : undefined);
    }
    if (out.reportsFailed > MAX_LISTED_REPORT_PROBLEMS) problem('reports.jsonl', `${out.reportsFailed - MAX_LISTED_REPORT_PROBLEMS} more reports failed`);
    if (manifest.counts && out.reportsChecked !== manifest.counts.reports) problem('reports.jsonl', `${out.reportsChecked} reports, manifest says ${manifest.counts.reports}`);
  } catch (e) {
    problem('reports.jsonl', `unreadable: ${(e as Error).message}`);
  }
  if (rc) {
    try {
      out.recomputed = await rc.finish();
    } catch (e) {
      problem('devices.csv', `figures could not be recomputed: ${(e as Error).message}`);
    }
  }
  // summary.html's figures and device-lifecycle.csv (issue 13; summary-check.ts, lifecycle-check.ts).
  await checkSummaryAndLifecycle(dir, rc, out, problem);
  if (manifest.format === MANIFEST_FORMAT_NO_AUDIT) {
    // Exported before the audit chain existed: nothing to check, and the outcome says so.
    out.auditAbsent = true;
    out.ok = out.problems.length === 0;
    return out;
  }
  try {
    out.audit = await checkAuditLog(dir, manifest, problem, opts.auditAnchor);
    out.auditHead = manifest.audit?.head ?? null;
  } catch (e) {
    problem('audit.csv', `could not be checked: ${(e as Error).message}`);
  }
  out.ok = out.problems.length === 0;
  return out;
}

async function checkSummaryAndLifecycle(dir: string, rc: Recompute | null, out: VerifyOutcome, problem: (file: string, message: string) => void): Promise<void> {
  if (rc?.aggregate) {
    try {
      const n = await checkSummary(dir, rc.aggregate, out.reportsChecked, problem);
      if (n === null) out.summaryUnbound = true;
      else out.summaryFigures = n;
    } catch (e) {
      problem('summary.html', `figures could not be checked: ${(e as Error).message}`);
    }
  } else problem('summary.html', 'figures not checked: the fleet figures could not be recomputed (see the problems above)');
  try {
    out.lifecycle = (await checkDeviceLifecycle(dir, problem)) ?? undefined;
  } catch (e) {
    problem('device-lifecycle.csv', `could not be checked: ${(e as Error).message}`);
  }
}

export type KeyMap = Map<string, { deviceId: string; jwk: JWK; retiredAt: number | null; key?: Awaited<ReturnType<typeof importJWK>> }>;

async function checkReportLine(text: string, keys: KeyMap): Promise<string | null> {
  const r = await verifyReportLine(text, keys);
  return typeof r === 'string' ? r : null;
}

export interface ReportRecord {
  reportId?: string;
  deviceId?: string;
  kid?: string;
  collectedAt?: string;
  /** When the collector stored it (its statement, not signed by the device): the replay order. */
  receivedAt?: string;
  jws?: string;
}

/** Verify one report record (a reports.jsonl line, or an edge in report-edges.jsonl): its signed payload, or why not. */
export async function verifyReportLine(text: string | ReportRecord, keys: KeyMap): Promise<string | { payload: ReportPayload; jws: string; receivedAt?: string }> {
  let rec: ReportRecord;
  try {
    rec = typeof text === 'string' ? JSON.parse(text) : text;
  } catch {
    return 'not valid JSON';
  }
  if (typeof rec.jws !== 'string') return 'no jws';
  const k = keys.get(rec.kid ?? '');
  if (!k) return `report ${rec.reportId}: key ${rec.kid} is not in device-keys.json`;
  if (k.deviceId !== rec.deviceId) return `report ${rec.reportId}: key ${rec.kid} belongs to device ${k.deviceId}, not ${rec.deviceId}`;
  let payload: Uint8Array;
  try {
    if (decodeProtectedHeader(rec.jws).kid !== rec.kid) return `report ${rec.reportId}: JWS kid differs from the line's kid`;
    k.key ??= await importJWK(k.jwk, 'EdDSA');
    ({ payload } = await compactVerify(rec.jws, k.key, { algorithms: ['EdDSA'] }));
  } catch (e) {
    return `report ${rec.reportId}: device signature does not verify (${(e as Error).message})`;
  }
  let p: ReportPayload;
  try {
    p = JSON.parse(decoder.decode(payload)) as ReportPayload;
  } catch {
    return `report ${rec.reportId}: signed payload is not JSON`;
  }
  if (p.deviceId !== rec.deviceId) return `report ${rec.reportId}: signed deviceId ${p.deviceId} differs from ${rec.deviceId}`;
  if (p.reportId !== rec.reportId) return `report ${rec.reportId}: signed reportId ${p.reportId} differs`;
  if (Date.parse(p.collectedAt ?? '') !== Date.parse(rec.collectedAt ?? '')) return `report ${rec.reportId}: signed collectedAt ${p.collectedAt} differs from ${rec.collectedAt}`;
  // The collector's rule: a key rotated out signs nothing collected after its retirement.
  if (k.retiredAt !== null && Date.parse(p.collectedAt ?? '') > k.retiredAt) return `report ${rec.reportId}: collected after its key ${rec.kid} was retired`;
  return { payload: p, jws: rec.jws, ...(rec.receivedAt ? { receivedAt: rec.receivedAt } : {}) };
}
