/**
 * Seed devices with REAL device signatures straight into the store: each device gets its own
 * Ed25519 key (jose), registered in device_keys, and every report is a compact JWS over a
 * ReportPayload signed by that key, stored verbatim like the ingest path stores it. State
 * events and check states are written as the evaluator would have written them. Used by the
 * evidence tests and by scripts/bench/evidence.ts (20,000 devices).
 */
import { randomUUID } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { CHECK_IDS, type CheckId } from '#shared/checks/ids.js';
import type { CheckResult } from '#shared/checks/result.js';
import { reportHash } from '#shared/evidence/chain.js';
import { AUDIT_CHAIN_LOCK, auditEntryHash } from '#shared/audit/chain.js';
import { exclusionsAt, stepReport, type ReplayCheck } from '#shared/evidence/replay.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Queryable } from '../../server/src/db/types.js';

export interface SeedEvent {
  checkId: string;
  to: string;
  at: Date;
}
export interface SeedDevice {
  id: string;
  hostname: string;
  owner?: string | null;
  serial?: string;
  model?: string;
  platform?: string;
  enrolledAt: Date;
  revokedAt?: Date | null;
  state?: string;
  reportTimes: Date[];
  /**
   * What the device's probes find over time: a check whose latest entry at a report's time is
   * not 'pass' reports `fail`. The state events are NOT taken from here: they are replayed
   * from the signed reports through the shared step (as ingest writes them), so `to` only
   * says failing-or-not.
   */
  events?: SeedEvent[];
  noInitialPass?: boolean;
  /** Exclusions (inserted, and in force while the reports are replayed). */
  exclusions?: { id: string; checkId: string; rationale: string; approvedBy: string; from: Date; to: Date }[];
}
export interface SeededKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const CHUNK = 1000;

async function insertRows(q: Queryable, sql: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await q.query(sql, [JSON.stringify(rows.slice(i, i + CHUNK))]);
}

export async function newDeviceKey(): Promise<SeededKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = await exportJWK(publicKey);
  return { kid: await calculateJwkThumbprint(publicJwk), privateKey, publicJwk };
}

export async function signReport(key: SeededKey, payload: object): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
}

/** The checks' states a report at `at` shows, replayed from the device's events. */
function statesAt(events: SeedEvent[], at: Date): Record<string, string> {
  const s: Record<string, string> = {};
  for (const e of events) if (e.at.getTime() <= at.getTime()) s[e.checkId] = e.to;
  return s;
}

export async function seedDevices(q: Queryable, devices: SeedDevice[], policy: Policy = DEFAULT_POLICY): Promise<{ keys: Map<string, SeededKey>; reports: number }> {
  const exclusionRows: object[] = [];
  const lastSeqs: object[] = [];
  const keys = new Map<string, SeededKey>();
  const devRows: object[] = [];
  const keyRows: object[] = [];
  const reportRows: object[] = [];
  const eventRows: object[] = [];
  const checkRows: object[] = [];
  for (const d of devices) {
    const key = await newDeviceKey();
    keys.set(d.id, key);
    const platform = d.platform ?? 'linux';
    const events = [...(d.noInitialPass ? [] : CHECK_IDS.map((c) => ({ checkId: c, to: 'pass', at: d.enrolledAt }))), ...(d.events ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
    const inventory = { hostname: d.hostname, os: { platform, distro: 'Ubuntu', release: '24.04' }, hardware: { model: d.model ?? 'ThinkPad X1', serial: d.serial ?? `SN-${d.id}` } };
    const last = d.reportTimes.length ? d.reportTimes[d.reportTimes.length - 1] : null;
    devRows.push({
      id: d.id, fingerprint: `fp-${d.id}`, hostname: d.hostname, platform, os_name: 'Ubuntu', os_version: '24.04', model: d.model ?? 'ThinkPad X1', serial: d.serial ?? `SN-${d.id}`,
      owner: d.owner ?? null, inventory, enrolled_at: d.enrolledAt.toISOString(), revoked_at: d.revokedAt?.toISOString() ?? null, last_report_at: last?.toISOString() ?? null, state: d.state ?? 'compliant',
    });
    keyRows.push({ kid: key.kid, device_id: d.id, public_jwk: key.publicJwk, created_at: d.enrolledAt.toISOString(), revoked_at: d.revokedAt?.toISOString() ?? null });
    let seq = 0;
    let prevHash: string | undefined;
    let states = new Map<CheckId, ReplayCheck>();
    const windows = (d.exclusions ?? []).map((x) => ({ checkId: x.checkId, from: x.from, to: x.to }));
    for (const x of d.exclusions ?? []) exclusionRows.push({ id: x.id, device_id: d.id, check_id: x.checkId, rationale: x.rationale, approved_by: x.approvedBy, created_at: x.from.toISOString(), expires_at: x.to.toISOString() });
    const since = new Map<string, Date>();
    for (const at of d.reportTimes) {
      const reportId = randomUUID();
      const st = statesAt(events, at);
      const checks = CHECK_IDS.map((c) => ({ id: c, status: st[c] === 'pass' || !st[c] ? 'pass' : 'fail', summary: `${c} ${st[c] ?? 'pass'}`, evidence: {}, remediation: { steps: [] } })) as CheckResult[];
      const payload = { v: 1, reportId, deviceId: d.id, seq: ++seq, ...(prevHash ? { prevHash } : {}), collectedAt: at.toISOString(), agentVersion: '0.1.0', trigger: 'interval', inventory, checks, spool: { pending: 0, evicted: 0, quarantined: 0 } };
      const jws = await signReport(key, payload);
      prevHash = reportHash(jws);
      reportRows.push({ report_id: reportId, device_id: d.id, seq, kid: key.kid, collected_at: at.toISOString(), received_at: new Date(at.getTime() + 1500).toISOString(), trigger: 'interval', summary: { checks: Object.fromEntries(checks.map((c) => [c.id, c.status])) }, jws });
      // The events the collector's ingest writes for this report: the shared step decides them.
      const s = stepReport({ policy, platform, reported: checks, previous: states, exclusions: exclusionsAt(windows, at), at });
      for (const t of s.changed) {
        eventRows.push({ device_id: d.id, check_id: t.checkId, from_state: t.from, to_state: t.to, at: at.toISOString(), report_id: reportId, detail: { reasons: t.reasons } });
        since.set(t.checkId, at);
      }
      states = s.next;
    }
    for (const [c, st] of states) {
      checkRows.push({ device_id: d.id, check_id: c, agent_status: st.result?.status ?? 'unknown', state: st.state, since: (since.get(c) ?? d.enrolledAt).toISOString(), summary: '', evidence: {}, remediation: {}, report_id: 'seed', collected_at: (last ?? d.enrolledAt).toISOString() });
    }
    lastSeqs.push({ id: d.id, last_seq: seq || null });
  }
  await insertRows(q, `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, inventory, enrolled_at, revoked_at, last_report_at, state)
    SELECT id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, inventory, enrolled_at, revoked_at, last_report_at, state
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, fingerprint text, hostname text, platform text, os_name text, os_version text, model text, serial text, owner text, inventory jsonb, enrolled_at timestamptz, revoked_at timestamptz, last_report_at timestamptz, state text)`, devRows);
  await insertRows(q, `INSERT INTO device_keys (kid, device_id, public_jwk, created_at, revoked_at)
    SELECT kid, device_id, public_jwk, created_at, revoked_at FROM jsonb_to_recordset($1::jsonb) AS x(kid text, device_id text, public_jwk jsonb, created_at timestamptz, revoked_at timestamptz)`, keyRows);
  await insertRows(q, `INSERT INTO reports (report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws)
    SELECT report_id, device_id, seq, kid, collected_at, received_at, trigger, summary, jws FROM jsonb_to_recordset($1::jsonb) AS x(report_id text, device_id text, seq bigint, kid text, collected_at timestamptz, received_at timestamptz, trigger text, summary jsonb, jws text)`, reportRows);
  await insertRows(q, `INSERT INTO state_events (device_id, check_id, from_state, to_state, at, report_id, detail)
    SELECT device_id, check_id, from_state, to_state, at, report_id, detail FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, check_id text, from_state text, to_state text, at timestamptz, report_id text, detail jsonb)`, eventRows);
  await insertRows(q, `INSERT INTO check_states (device_id, check_id, agent_status, state, since, summary, evidence, remediation, report_id, collected_at)
    SELECT device_id, check_id, agent_status, state, since, summary, evidence, remediation, report_id, collected_at FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, check_id text, agent_status text, state text, since timestamptz, summary text, evidence jsonb, remediation jsonb, report_id text, collected_at timestamptz)`, checkRows);
  await insertRows(q, `UPDATE devices d SET last_seq = x.last_seq FROM jsonb_to_recordset($1::jsonb) AS x(id text, last_seq bigint) WHERE d.id = x.id`, lastSeqs);
  if (exclusionRows.length)
    await insertRows(q, `INSERT INTO exclusions (id, device_id, check_id, rationale, approved_by, created_at, expires_at)
      SELECT id, device_id, check_id, rationale, approved_by, created_at, expires_at FROM jsonb_to_recordset($1::jsonb) AS x(id text, device_id text, check_id text, rationale text, approved_by text, created_at timestamptz, expires_at timestamptz)`, exclusionRows);
  // The audit entries the collector would have written with those changes, at their times.
  for (const d of devices) {
    for (const x of d.exclusions ?? [])
      await appendAuditAt(q, x.from, { actor: x.approvedBy, action: 'exclusion.create', target: d.id, detail: { exclusionId: x.id, checkId: x.checkId, rationale: x.rationale, expiresAt: x.to.toISOString() } });
    if (d.revokedAt) await appendAuditAt(q, d.revokedAt, { actor: 'user:seed', action: 'device.revoke', target: d.id, detail: { reason: null } });
  }
  return { keys, reports: reportRows.length };
}

/**
 * Append an audit entry dated `at` (history being seeded happened in the past; the collector's
 * audit() always stamps the current time). Extends the chain exactly as audit() does.
 */
export async function appendAuditAt(q: Queryable, at: Date, e: { actor: string; action: string; target?: string | null; detail?: unknown }): Promise<void> {
  const db = q as Queryable & { tx?: <T>(fn: (t: Queryable) => Promise<T>) => Promise<T> };
  if (typeof db.tx === 'function') return db.tx((t) => appendAuditAt(t, at, e));
  // Inside the caller's transaction: the chain lock is held until it ends, as audit() does.
  await q.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  const h = (await q.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM audit_log ORDER BY audit_log.seq DESC LIMIT 1')).rows[0];
  const entry = { seq: Number(h?.seq ?? 0) + 1, at: at.toISOString(), actor: e.actor, action: e.action, target: e.target ?? null, outcome: 'ok', ip: null, detail: e.detail ?? null, prevHash: h?.hash ?? null };
  await q.query('INSERT INTO audit_log (at, actor, action, target, outcome, ip, detail, seq, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)',
    [at, entry.actor, entry.action, entry.target, entry.outcome, null, entry.detail === null ? null : JSON.stringify(entry.detail), entry.seq, entry.prevHash, auditEntryHash(entry)]);
}

/** Report times every `everyHours` over [from, to). */
export function every(from: Date, to: Date, everyHours: number): Date[] {
  const out: Date[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += everyHours * 3_600_000) out.push(new Date(t));
  return out;
}
