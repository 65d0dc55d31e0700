/**
 * The audit log inside the evidence, tampered through the database by an insider who can
 * disable the append-only trigger (ALTER TABLE … DISABLE TRIGGER, as the table owner or a
 * superuser can): deleting or editing an entry, or making a change without its entry, then
 * exporting, gives a validly signed bundle that verify-evidence must fail, naming the file and
 * row. Untouched, the bundle verifies with every exclusion, policy version and revocation
 * matched to its entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CompactSign, importJWK, type JWK } from 'jose';
import { join } from 'node:path';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends, tempDir } from '../helpers/db.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { parseCsv } from '#shared/evidence/csv.js';
import type { Manifest } from '#shared/evidence/manifest.js';
import { appendAuditAt, every, seedDevices } from './seed.js';
import { auditEntryHash } from '#shared/audit/chain.js';
import { audit } from '../../server/src/audit/log.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

describe.each(backends())('audit log tampered through the database (%s)', (backend) => {
  let tc: TestCollector;
  const exportBundle = async () => {
    const dir = tempDir('posture-audit-tamper-');
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return dir;
  };
  const verify = async () => verifyBundleDir(await exportBundle());
  const text = (r: Awaited<ReturnType<typeof verify>>) => r.problems.map((p) => `${p.file}: ${p.message}`).join('\n');
  /** Run SQL with the append-only trigger disabled, as an insider would. */
  const insider = async (fn: () => Promise<unknown>) => {
    await tc.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await tc.db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_links');
    try {
      await fn();
    } finally {
      await tc.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
      await tc.db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_links');
    }
  };
  const entry = async (action: string, target?: string) =>
    (await tc.db.query<Record<string, unknown> & { seq: string }>(`SELECT *, seq::text AS seq FROM audit_log WHERE action = $1 ${target ? 'AND target = $2' : ''} ORDER BY audit_log.seq LIMIT 1`, target ? [action, target] : [action])).rows[0];
  const restore = (x: Record<string, unknown>) =>
    tc.db.query('INSERT INTO audit_log (id, at, actor, action, target, outcome, ip, detail, seq, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)',
      [x.id, x.at, x.actor, x.action, x.target, x.outcome, x.ip, x.detail === null ? null : JSON.stringify(x.detail), x.seq, x.prev_hash, x.hash]);

  beforeAll(async () => {
    tc = await startTestCollector(backend);
    // A policy change recorded (with its audit entry) before the period.
    const pv = await tc.db.query<{ id: string }>(`INSERT INTO policy_versions (policy, source, created_at, created_by, comment) SELECT policy, 'api', $1, 'user:alice', 'earlier' FROM policy_versions ORDER BY id LIMIT 1 RETURNING id::text`, [d(-20)]);
    await appendAuditAt(tc.db, d(-20), { actor: 'user:alice', action: 'policy.update', target: `policy:${pv.rows[0].id}`, detail: { source: 'api' } });
    // Values that CSV and the spreadsheet-safety prefix must carry back exactly for the hash.
    await audit(tc.db, { actor: 'user:odd\r\n"name", =1', action: 'test.odd', target: '', ip: "'quoted", detail: { s: 'a\nb', n: -1, z: [null] } });
    await audit(tc.db, { actor: '-dash', action: '@at', target: '+plus', detail: -5 });
    await seedDevices(tc.db, [
      { id: 'dev-x', hostname: 'x', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6),
        exclusions: [{ id: 'exc-1', checkId: 'antivirus', rationale: '=build host, no AV', approvedBy: 'user:ciso', from: d(1), to: d(4) }] },
      { id: 'dev-r', hostname: 'r', enrolledAt: d(-10), revokedAt: d(3), reportTimes: every(d(-1), d(3), 6) },
    ]);
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('an untouched bundle verifies: chain to the signed head, exclusion, revocation and policy versions matched', async () => {
    const dir = await exportBundle();
    const r = await verifyBundleDir(dir);
    expect(text(r)).toBe('');
    expect(r.ok).toBe(true);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const rows = parseCsv(readFileSync(join(dir, 'audit.csv'), 'utf8'));
    expect(rows.length - 1).toBe(m.audit.entries + (m.audit.link ? 1 : 0));
    expect(Number(rows[rows.length - 1][1])).toBe(m.audit.head?.seq);
    expect(rows[rows.length - 1][11]).toBe(m.audit.head?.hash);
    const policies = (JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as { history: unknown[] }).history.length;
    expect(policies).toBeGreaterThan(0);
    expect(r.audit).toEqual({ entries: m.audit.entries, matched: 2 + policies, excused: 0, prunedBefore: null });
  });

  it('a deleted audit entry fails, naming the missing seq', async () => {
    const x = await entry('device.revoke', 'dev-r');
    await insider(() => tc.db.query('DELETE FROM audit_log WHERE seq = $1', [x.seq]));
    try {
      const r = await verify();
      expect(r.ok).toBe(false);
      const s = Number(x.seq);
      expect(text(r)).toMatch(new RegExp(`audit\\.csv: row \\d+: 1 entry missing between seq ${s - 1} and seq ${s + 1} \\(deleted\\)`));
      expect(text(r)).toMatch(/devices\.csv: row \d+ \(device dev-r\): revoked_at [^,]+, but no audit entry records the revocation/);
    } finally {
      await insider(() => restore(x));
    }
    expect((await verify()).ok).toBe(true);
  });

  it('an edited audit entry fails, naming its seq', async () => {
    const x = await entry('exclusion.create', 'dev-x');
    await insider(() => tc.db.query(`UPDATE audit_log SET detail = jsonb_set(detail, '{rationale}', '"approved by nobody"') WHERE seq = $1`, [x.seq]));
    try {
      const r = await verify();
      expect(r.ok).toBe(false);
      expect(text(r)).toMatch(new RegExp(`audit\\.csv: row \\d+: entry seq ${x.seq} \\(exclusion\\.create\\) does not match its hash: it was edited`));
      expect(text(r)).toMatch(new RegExp(`exclusions\\.csv: row 2 \\(exclusion exc-1, device dev-x, check antivirus\\): differs from its audit entry seq ${x.seq}, which says rationale "approved by nobody"`));
    } finally {
      await insider(() => tc.db.query('UPDATE audit_log SET detail = $2 WHERE seq = $1', [x.seq, JSON.stringify(x.detail)]));
    }
    expect((await verify()).ok).toBe(true);
  });

  it('an exclusion inserted without audit fails, naming the exclusions.csv row', async () => {
    await tc.db.query(`INSERT INTO exclusions (id, device_id, check_id, rationale, approved_by, created_at, expires_at) VALUES ('exc-sneaky', 'dev-x', 'firewall', 'no one asked', 'user:ciso', $1, $2)`, [d(4.5), d(5)]);
    try {
      const r = await verify();
      expect(r.ok).toBe(false);
      expect(text(r)).toMatch(/exclusions\.csv: row \d+ \(exclusion exc-sneaky, device dev-x, check firewall\): no audit entry records its creation \(exclusion\.create\)/);
    } finally {
      await tc.db.query(`DELETE FROM exclusions WHERE id = 'exc-sneaky'`);
    }
  });

  it('an exclusion whose expiry was extended in the database fails against its audit entry', async () => {
    await tc.db.query(`UPDATE exclusions SET expires_at = $1 WHERE id = 'exc-1'`, [d(5.5)]);
    try {
      const r = await verify();
      expect(r.ok).toBe(false);
      expect(text(r)).toMatch(/exclusions\.csv: row 2 \(exclusion exc-1, device dev-x, check antivirus\): differs from its audit entry seq \d+, which says expires_at /);
    } finally {
      await tc.db.query(`UPDATE exclusions SET expires_at = $1 WHERE id = 'exc-1'`, [d(4)]);
    }
  });

  it('a policy version and a revocation written without audit fail, naming them', async () => {
    const pv = await tc.db.query<{ id: string }>(`INSERT INTO policy_versions (policy, source, created_at, created_by, comment) SELECT policy, 'api', $1, 'user:x', 'quietly' FROM policy_versions ORDER BY id LIMIT 1 RETURNING id::text`, [d(2)]);
    await tc.db.query(`UPDATE devices SET revoked_at = $1 WHERE id = 'dev-x'`, [d(5.9)]);
    try {
      const r = await verify();
      expect(r.ok).toBe(false);
      expect(text(r)).toContain(`policy.json: history version ${pv.rows[0].id} (${d(2).toISOString()}): no audit entry records it (policy.update target policy:${pv.rows[0].id})`);
      expect(text(r)).toMatch(/devices\.csv: row \d+ \(device dev-x\): revoked_at [^,]+, but no audit entry records the revocation \(device\.revoke\)/);
    } finally {
      await tc.db.query(`UPDATE devices SET revoked_at = NULL WHERE id = 'dev-x'`);
      await tc.db.query('DELETE FROM policy_versions WHERE id = $1', [pv.rows[0].id]);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('a format-2 bundle (from before the audit chain) still verifies, and says the audit log was not checked', async () => {
    const dir = await exportBundle();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest & { audit?: unknown };
    rmSync(join(dir, 'audit.csv'));
    const { audit: _a, ...rest } = m;
    const old = { ...rest, format: 'posture-evidence-bundle/2', files: m.files.filter((f) => f.path !== 'audit.csv') };
    const bytes = Buffer.from(JSON.stringify(old, null, 2) + '\n');
    writeFileSync(join(dir, 'manifest.json'), bytes);
    const k = (await tc.db.query<{ kid: string; private_jwk: string }>('SELECT kid, private_jwk FROM collector_keys WHERE valid_to IS NULL')).rows[0];
    writeFileSync(join(dir, 'manifest.jws'), (await new CompactSign(bytes).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ: 'posture-evidence+jws' }).sign(await importJWK(JSON.parse(k.private_jwk) as JWK, 'EdDSA'))) + '\n');
    const r = await verifyBundleDir(dir);
    expect(text(r)).toBe('');
    expect(r.ok).toBe(true);
    expect(r.auditAbsent).toBe(true);
    expect(r.audit).toBeUndefined();
  });

  it('a chain rewritten from one entry on verifies alone, but not against the head an earlier bundle signed', async () => {
    const earlier = JSON.parse(readFileSync(join(await exportBundle(), 'manifest.json'), 'utf8')) as Manifest;
    const anchor = earlier.audit.head!;
    const x = await entry('exclusion.create', 'dev-x');
    // The insider edits one entry and recomputes every later hash, as shared code lets anyone do.
    await insider(async () => {
      const rows = (await tc.db.query<{ seq: string; at: Date; actor: string; action: string; target: string | null; outcome: string; ip: string | null; detail: unknown; prev_hash: string | null }>(
        'SELECT seq::text AS seq, at, actor, action, target, outcome, ip, detail, prev_hash FROM audit_log WHERE seq >= $1 ORDER BY audit_log.seq', [x.seq])).rows;
      let prev = rows[0].prev_hash;
      for (const r of rows) {
        const actor = r.seq === x.seq ? 'user:someone-else' : r.actor;
        const hash = auditEntryHash({ seq: Number(r.seq), at: new Date(r.at).toISOString(), actor, action: r.action, target: r.target, outcome: r.outcome, ip: r.ip, detail: r.detail, prevHash: prev });
        await tc.db.query('UPDATE audit_log SET actor = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [r.seq, actor, prev, hash]);
        prev = hash;
      }
    });
    const dir = await exportBundle();
    expect(text(await verifyBundleDir(dir))).toBe('');
    const r = await verifyBundleDir(dir, undefined, { auditAnchor: anchor });
    expect(r.ok).toBe(false);
    expect(text(r)).toContain(`audit.csv: entry seq ${anchor.seq} has hash`);
    expect(text(r)).toContain(`but the earlier bundle signed ${anchor.hash.slice(0, 16)}…: the chain was rewritten`);
  });

  it('the newest entries deleted: the next bundle verifies alone, but lacks the head an earlier bundle signed', async () => {
    const dir0 = await exportBundle();
    const anchor = (JSON.parse(readFileSync(join(dir0, 'manifest.json'), 'utf8')) as Manifest).audit.head!;
    expect((await verifyBundleDir(dir0, undefined, { auditAnchor: anchor })).audit?.anchor).toBe('found');
    await insider(() => tc.db.query('DELETE FROM audit_log WHERE seq >= $1', [anchor.seq]));
    const dir = await exportBundle();
    expect(text(await verifyBundleDir(dir))).toBe('');
    const r = await verifyBundleDir(dir, undefined, { auditAnchor: anchor });
    expect(r.ok).toBe(false);
    expect(text(r)).toMatch(new RegExp(`audit\\.csv: the earlier bundle's audit head seq ${anchor.seq} is not in this chain \\(it ends at seq ${anchor.seq - 1}\\): entries were removed`));
  });

  it('the manifest signs the log head at export, and deleting that entry is refused by the trigger', async () => {
    // The bundle signs the head: an auditor holding it can tell a later rewrite or truncation.
    const first = await exportBundle();
    const m = JSON.parse(readFileSync(join(first, 'manifest.json'), 'utf8')) as Manifest;
    const head = await tc.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [m.audit.head!.seq]);
    expect(head.rows[0].hash).toBe(m.audit.head!.hash);
    await expect(tc.db.query('DELETE FROM audit_log WHERE seq = $1', [m.audit.head!.seq])).rejects.toThrow(/append-only/);
  });
});
