/**
 * Signed .rpm (scripts/package/sign.ts) with the real tools: a throw-away OpenPGP key made
 * by gpg in a temporary GNUPGHOME, `rpmsign --addsign`, then `rpm -K` in a scratch rpm
 * database: refused before the public key is imported, "signatures OK" after, and refused
 * again for a copy with one payload byte changed. The payload is a stand-in script (signing
 * does not depend on it; the real binary's package is linux-packages.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRpm } from '../../scripts/package/rpm.js';
import { signRpm } from '../../scripts/package/sign.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['rpmbuild', 'rpmsign', 'rpm', 'gpg'].filter((t) => !has(t));
if (missing.length) console.warn(`SKIPPED rpm signing test: missing ${missing.join(', ')}`);

describe.skipIf(missing.length > 0)('signed .rpm (rpmsign, rpm -K)', () => {
  let dir: string;
  let gpgHome: string;
  let rpmFile: string;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, GNUPGHOME: gpgHome }, timeout: 120_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'posture-rpmsign-'));
    gpgHome = join(dir, 'gnupg');
    mkdirSync(gpgHome, { mode: 0o700 });
    const g = run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Posture test release <release@example.com>', 'rsa3072', 'sign', '1d']);
    expect(g.code, g.out).toBe(0);
    const bin = join(dir, 'posture-agent');
    writeFileSync(bin, '#!/bin/sh\necho 0.1.0\n', { mode: 0o755 });
    rpmFile = buildRpm({ target: 'linux-x64', version: '0.1.0', binary: bin, outDir: join(dir, 'out'), workDir: join(dir, 'work'), maintainer: 'Posture <posture@example.com>', homepage: 'https://example.com/posture', compression: 'none' }).file;
  }, 120_000);
  afterAll(() => {
    // gpg-agent started for this home exits with it.
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: gpgHome } });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs; rpm -K needs the imported key and refuses a changed package', () => {
    expect(() => signRpm(rpmFile, { keyId: 'nobody@example.com', gpgHome })).toThrow(/rpmsign --addsign .* nobody@example.com/);
    signRpm(rpmFile, { keyId: 'release@example.com', gpgHome });
    expect(run('rpm', ['-qpi', rpmFile]).out).toMatch(/Signature\s*:\s*RSA\/SHA\d+, .*Key ID/);
    const db = join(dir, 'rpmdb');
    mkdirSync(db);
    const before = run('rpm', ['--dbpath', db, '-K', rpmFile]);
    expect(before.out).toMatch(/NOKEY|NOT OK/);
    writeFileSync(join(dir, 'release.asc'), run('gpg', ['--armor', '--export', 'release@example.com']).out);
    expect(run('rpm', ['--dbpath', db, '--import', join(dir, 'release.asc')]).code).toBe(0);
    const after = run('rpm', ['--dbpath', db, '-K', rpmFile]);
    expect(after.code, after.out).toBe(0);
    expect(after.out).toMatch(/signatures OK/);
    const bad = join(dir, 'tampered.rpm');
    copyFileSync(rpmFile, bad);
    const b = readFileSync(bad);
    b[b.length - 20] ^= 0xff;
    writeFileSync(bad, b);
    const t = run('rpm', ['--dbpath', db, '-K', bad]);
    expect(t.code).not.toBe(0);
    expect(t.out).toMatch(/NOT OK/);
  }, 120_000);
});
