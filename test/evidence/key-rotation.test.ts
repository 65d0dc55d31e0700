/**
 * Rotating the collector's evidence-signing key: admin-only API and `npm run rotate-evidence-key`,
 * both audit-logged; the key history (kid, public JWK, validFrom, validTo) is published and
 * ships in every bundle; a bundle signed before the rotation still verifies against the live key
 * set (its key's validity covers its export time), one exported across the rotation verifies,
 * and a manifest signed with the rotated-out key after its validity fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CompactSign, importJWK, type JWK } from 'jose';
import { ADMIN_TOKEN, ROOT, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { PG_URL, tempDir } from '../helpers/db.js';
import { createApiToken } from '../../server/src/auth/tokens.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import type { Manifest } from '#shared/evidence/manifest.js';
import { every, seedDevices } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 6 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, timeout: 120_000, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (x) => (stdout += x));
    child.stderr.on('data', (x) => (stderr += x));
    child.on('close', (status) => res({ status, stdout, stderr }));
  });
}

const backend: 'pg' | 'pglite' = PG_URL ? 'pg' : 'pglite';

describe(`collector evidence-key rotation (${backend})`, () => {
  let tc: TestCollector;
  let before: string;
  let oldKid: string;
  let oldPrivate: JWK;
  let newKid: string;
  const exportBundle = async (from: Date, to: Date) => {
    const dir = tempDir('posture-rot-');
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${from.toISOString()}&to=${to.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), dir);
    return dir;
  };
  const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const liveJwks = async () => (await (await fetch(`${tc.url}/.well-known/jwks.json`)).json()) as { keys: (JWK & { validFrom: string; validTo: string | null })[] };
  const rotate = (token: string, body: unknown) => fetch(`${tc.url}/api/v1/collector/evidence-key/rotate`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    tc = await startTestCollector(backend);
    await seedDevices(tc.db, [{ id: 'dev-1', hostname: 'one', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6) }]);
    before = await exportBundle(FROM, TO);
    const k = (await tc.db.query<{ kid: string; private_jwk: string }>('SELECT kid, private_jwk FROM collector_keys WHERE valid_to IS NULL')).rows[0];
    oldKid = k.kid;
    oldPrivate = JSON.parse(k.private_jwk) as JWK;
  }, 120_000);
  afterAll(async () => {
    await tc?.cleanup();
  });

  it('only an admin may rotate; a bad reason is a 400 naming the field', async () => {
    for (const role of ['auditor', 'helpdesk', 'scim'] as const) {
      const t = (await createApiToken(tc.db, { role, label: `rot ${role}`, createdBy: 'test' })).token;
      expect((await rotate(t, {})).status).toBe(403);
    }
    const bad = await rotate(ADMIN_TOKEN, { reason: 42 });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('reason');
    expect((await tc.db.query('SELECT 1 FROM collector_keys')).rows).toHaveLength(1);
  });

  it('rotates through the API, audit-logged, the history published with validity', async () => {
    const res = await rotate(ADMIN_TOKEN, { reason: 'annual rotation' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kid: string; previousKid: string; validFrom: string };
    expect(body.previousKid).toBe(oldKid);
    expect(body.kid).not.toBe(oldKid);
    newKid = body.kid;
    const a = (await tc.db.query<{ actor: string; target: string; detail: { previousKid: string; reason: string } }>(`SELECT actor, target, detail FROM audit_log WHERE action = 'collector_key.rotate'`)).rows;
    expect(a).toEqual([{ actor: expect.stringMatching(/admin|bootstrap|token/), target: newKid, detail: expect.objectContaining({ previousKid: oldKid, reason: 'annual rotation' }) }]);
    const jwks = await liveJwks();
    expect(jwks.keys.map((k) => [k.kid, k.validTo])).toEqual([[oldKid, body.validFrom], [newKid, null]]);
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
    // The rotated-out private key is gone from the store.
    expect((await tc.db.query<{ private_jwk: string | null }>('SELECT private_jwk FROM collector_keys WHERE kid = $1', [oldKid])).rows[0].private_jwk).toBeNull();
  });

  it('a bundle signed before the rotation still verifies against the live key set', async () => {
    const pinned = await liveJwks();
    const r = await verifyBundleDir(before, pinned);
    expect(r.problems).toEqual([]);
    expect(r.collector).toMatchObject({ kid: oldKid, rotatedOut: pinned.keys[0].validTo });
    const cli = await run('scripts/evidence/verify.ts', [before, '--jwks', `${tc.url}/.well-known/jwks.json`]);
    expect(cli.stdout).toContain('VERDICT: VERIFIED');
    expect(cli.stdout).toContain('rotated out at');
    expect(cli.stdout).not.toContain('WARNING');
  });

  it('a bundle over a period containing the rotation is signed by the new key, carries both keys, and verifies', async () => {
    const dir = await exportBundle(FROM, new Date());
    expect(manifest(dir).collector.kid).toBe(newKid);
    const shipped = JSON.parse(readFileSync(join(dir, 'collector-jwks.json'), 'utf8')) as { keys: { kid: string; validFrom: string; validTo: string | null }[] };
    expect(shipped.keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    expect(shipped.keys[0].validTo).toBe(shipped.keys[1].validFrom);
    const r = await verifyBundleDir(dir);
    expect(r.problems).toEqual([]);
    expect(r.audit?.matched).toBeGreaterThanOrEqual(1); // the rotation's audit entry
    const cli = await run('scripts/evidence/verify.ts', [dir]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain(`WARNING:    trusted the collector key shipped INSIDE the bundle (fingerprint ${r.collector!.thumbprint})`);
    expect(cli.stdout).toContain('key history: 2 key(s) in the bundle');
  });

  it('a manifest signed with the rotated-out key after its validity fails', async () => {
    const dir = await exportBundle(FROM, TO);
    const m = manifest(before);
    // What a thief of the old key could do: re-sign an old bundle as if exported today.
    const forged = { ...m, generatedAt: new Date().toISOString() };
    const bytes = Buffer.from(JSON.stringify(forged, null, 2) + '\n');
    for (const f of ['manifest.json']) writeFileSync(join(before, f), bytes);
    writeFileSync(join(before, 'manifest.jws'), (await new CompactSign(bytes).setProtectedHeader({ alg: 'EdDSA', kid: oldKid, typ: 'posture-evidence+jws' }).sign(await importJWK(oldPrivate, 'EdDSA'))) + '\n');
    const r = await verifyBundleDir(before, await liveJwks());
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.file}: ${p.message}`).join('\n')).toMatch(new RegExp(`manifest\\.jws: signed by key ${oldKid}, valid from \\S+ to \\S+, but the manifest was generated at \\S+: outside the key's validity`));
    expect((await verifyBundleDir(dir, await liveJwks())).ok).toBe(true);
  });

  it.skipIf(backend !== 'pg')('the rotate-evidence-key command (npm run rotate-evidence-key) rotates while the collector runs; the next export uses the new key', async () => {
    const cli = await run('server/src/admin-cli.ts', ['rotate-evidence-key', '--reason', 'operator drill'], { DATABASE_URL: tc.ctx.config.databaseUrl!, POSTURE_DATA_DIR: tempDir('posture-rot-cli-') });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const kid = /new key\s+(\S+)/.exec(cli.stdout)?.[1];
    expect(kid).toBeTruthy();
    expect(cli.stdout).toContain(`previous key ${newKid}`);
    const a = (await tc.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'collector_key.rotate' AND target = $1`, [kid])).rows;
    expect(a[0].actor).toMatch(/^local-operator:/);
    const dir = await exportBundle(FROM, TO);
    expect(manifest(dir).collector.kid).toBe(kid);
    expect((await verifyBundleDir(dir)).problems).toEqual([]);
    // The running collector picked the new key up (NOTIFY).
    await expect.poll(() => tc.ctx.identity.signingKid, { timeout: 10_000 }).toBe(kid);
  });

  it('a key swapped in through the database, without the rotation audit entry, fails naming collector-jwks.json', async () => {
    const { exportJWK, generateKeyPair, calculateJwkThumbprint } = await import('jose');
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const priv = await exportJWK(privateKey);
    const { d: _d, ...pub } = priv;
    const kid = await calculateJwkThumbprint(pub);
    await tc.db.tx(async (q) => {
      await q.query(`UPDATE collector_keys SET valid_to = now(), private_jwk = NULL WHERE valid_to IS NULL`);
      await q.query(`INSERT INTO collector_keys (kid, public_jwk, private_jwk, valid_from, created_by) VALUES ($1, $2, $3, now(), 'insider')`, [kid, JSON.stringify({ ...pub, kid, alg: 'EdDSA', use: 'sig' }), JSON.stringify(priv)]);
    });
    const r = await verifyBundleDir(await exportBundle(FROM, new Date()));
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.file}: ${p.message}`).join('\n')).toMatch(new RegExp(`collector-jwks\\.json: key \\d+ \\(${kid}\\), valid from \\S+: no audit entry records the rotation to it`));
  });
});
