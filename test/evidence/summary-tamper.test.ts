/**
 * summary.html's figures are bound to the signed reports (issue 13): the verifier recomputes
 * every `data-figure` from reports.jsonl with the exporter's own code and fails naming the
 * figure, the value found and the value recomputed.
 *
 * Two paths, both tested:
 *  - through the database: a state event changed to `pass` changes what the exporter computes
 *    (devices.csv, controls.csv AND summary.html), the manifest is validly signed, and the
 *    summary's figures still fail against the recomputation;
 *  - a crafted bundle whose only change is a summary figure, re-hashed in manifest.json and
 *    re-signed with the collector's own key, read from the store as an insider holding it
 *    could. No database change shows only in summary.html (it is computed from the same
 *    aggregate as controls.csv), so this is the way to prove the summary check on its own:
 *    signature and file hashes pass, and only summary.html fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CompactSign, importJWK, type JWK } from 'jose';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { MANIFEST_JWS_TYP, type Manifest } from '#shared/evidence/manifest.js';
import { every, seedDevices } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

describe('summary.html figures recomputed by the verifier', () => {
  let tc: TestCollector;
  const exportBundle = async () => {
    const dir = tempDir('posture-summary-');
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return dir;
  };
  const text = (r: Awaited<ReturnType<typeof verifyBundleDir>>) => r.problems.map((p) => `${p.file}: ${p.message}`).join('\n');

  beforeAll(async () => {
    tc = await startTestCollector('pglite');
    await seedDevices(tc.db, [
      { id: 'dev-fw', hostname: 'fw', enrolledAt: d(-10), reportTimes: every(d(-1), new Date(TO.getTime() + 12 * H), 6), events: [{ checkId: 'firewall', to: 'failing', at: d(1) }, { checkId: 'firewall', to: 'pass', at: d(5) }] },
      { id: 'dev-ok', hostname: 'ok', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6) },
    ]);
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('an untouched bundle verifies and every summary figure was compared', async () => {
    const dir = await exportBundle();
    const html = await readFile(join(dir, 'summary.html'), 'utf8');
    expect(html).toMatch(/data-figure="compliant_pct">\d+\.\d\d%</);
    expect(html).toMatch(/data-figure="check:firewall:pass_pct">\d+\.\d\d%</);
    const r = await verifyBundleDir(dir);
    expect(text(r)).toBe('');
    expect(r.ok).toBe(true);
    // devices, %, enrolled, revoked, noncompliant, states, 3 counts, 4 per check, the listed noncompliant device, unlisted.
    expect(r.summaryFigures).toBeGreaterThan(20);
  });

  it('a state event changed to pass in the database fails, naming the summary figures found and recomputed', async () => {
    const ev = await tc.db.query<{ id: string }>(`SELECT id::text FROM state_events WHERE device_id = 'dev-fw' AND check_id = 'firewall' AND to_state = 'noncompliant' LIMIT 1`);
    expect(ev.rows).toHaveLength(1);
    await tc.db.query(`UPDATE state_events SET to_state = 'pass' WHERE id = $1`, [ev.rows[0].id]);
    try {
      const r = await verifyBundleDir(await exportBundle());
      expect(r.ok).toBe(false);
      expect(text(r)).toMatch(/summary\.html: figure check:firewall:pass_pct: found (\d+\.\d\d)%, recomputed (\d+\.\d\d)%/);
      const [, found, recomputed] = /figure check:firewall:pass_pct: found ([\d.]+)%, recomputed ([\d.]+)%/.exec(text(r))!;
      expect(Number(found)).toBeGreaterThan(Number(recomputed)); // the tampered page shows more compliance than the reports give
    } finally {
      await tc.db.query(`UPDATE state_events SET to_state = 'noncompliant' WHERE id = $1`, [ev.rows[0].id]);
    }
    expect((await verifyBundleDir(await exportBundle())).ok).toBe(true);
  });

  it('a summary figure edited and the manifest re-signed with the collector key fails on summary.html alone', async () => {
    const dir = await exportBundle();
    const path = join(dir, 'summary.html');
    const before = await readFile(path, 'utf8');
    const m = /data-figure="compliant_pct">([^<]*)</.exec(before)!;
    expect(m[1]).not.toBe('100.00%');
    await writeFile(path, before.replace(m[0], 'data-figure="compliant_pct">100.00%<'));
    // Re-hash the file and re-sign the manifest as the collector would (key from the store).
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const bytes = await readFile(path);
    const f = manifest.files.find((x) => x.path === 'summary.html')!;
    f.sha256 = createHash('sha256').update(bytes).digest('hex');
    f.bytes = bytes.length;
    const mbytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
    await writeFile(join(dir, 'manifest.json'), mbytes);
    const k = (await tc.db.query<{ kid: string; private_jwk: string }>('SELECT kid, private_jwk FROM collector_keys WHERE valid_to IS NULL')).rows[0];
    const key = await importJWK(JSON.parse(k.private_jwk) as JWK, 'EdDSA');
    await writeFile(join(dir, 'manifest.jws'), (await new CompactSign(mbytes).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ: MANIFEST_JWS_TYP }).sign(key)) + '\n');

    const r = await verifyBundleDir(dir);
    expect(r.ok).toBe(false);
    expect([...new Set(r.problems.map((p) => p.file))]).toEqual(['summary.html']);
    expect(text(r)).toContain(`summary.html: figure compliant_pct: found 100.00%, recomputed ${m[1]}`);
  });
});
