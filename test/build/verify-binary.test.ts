/**
 * The auditor's single-file verifier (npm run build:verify → posture-verify), run as an auditor
 * would: copied alone into a directory with no repository and no node_modules, on a bundle the
 * collector exported over HTTP. linux-x64 is built and run; win-x64, darwin-x64 and linux-arm64
 * are built and their headers and injected SEA blob inspected (as for the agent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildVerify } from '../../scripts/build/verify.js';
import { sha256File, type SeaManifest } from '../../scripts/build/sea.js';
import { inspectExecutable } from '../../scripts/build/inspect.js';
import { TARGETS, pinnedNodeVersion, type TargetName } from '../../scripts/build/targets.js';
import { nodeRuntime } from '../../scripts/build/runtimes.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { every, seedDevices } from '../evidence/seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 5 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);
const targets: TargetName[] = ['linux-x64', 'win-x64', 'darwin-x64', 'linux-arm64'];
const USAGE = 'usage: posture-verify BUNDLE_DIR_OR_TGZ';
/** A string of the verifier's bundled source (the usage line is assembled at run time). */
const MARK = 'BUNDLE_DIR_OR_TGZ [--jwks FILE_OR_URL]';

describe('posture-verify single executable', () => {
  let out: string;
  let ms: SeaManifest[];
  let tc: TestCollector;
  let auditor: string; // the auditor's directory: the executable and the bundle, nothing else
  let bin: string;
  const run = (args: string[]) => spawnSync(bin, args, { cwd: auditor, encoding: 'utf8', timeout: 120_000, env: { PATH: '/usr/bin:/bin', HOME: auditor } });

  beforeAll(async () => {
    out = tempDir('posture-verify-build-');
    ms = await buildVerify({ targets, version: '2.3.4', outDir: out, quiet: true });
    auditor = tempDir('posture-auditor-');
    bin = join(auditor, 'posture-verify');
    copyFileSync(join(out, 'linux-x64', 'posture-verify'), bin);
    tc = await startTestCollector('pglite');
    await seedDevices(tc.db, [
      { id: 'dev-fw', hostname: 'fw', enrolledAt: d(-10), reportTimes: every(d(-1), new Date(TO.getTime() + 12 * H), 6), events: [{ checkId: 'firewall', to: 'failing', at: d(1) }, { checkId: 'firewall', to: 'pass', at: d(3) }] },
      { id: 'dev-ok', hostname: 'ok', enrolledAt: d(-10), reportTimes: every(d(-1), TO, 6) },
    ]);
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(join(auditor, 'bundle.tar.gz')));
    const jwks = await fetch(`${tc.url}/.well-known/jwks.json`);
    writeFileSync(join(auditor, 'jwks.json'), await jwks.text());
  }, 300_000);
  afterAll(async () => {
    await tc?.cleanup();
    for (const d of [out, auditor]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('writes a manifest and SHA-256 per target, and SHA256SUMS', () => {
    expect(ms.map((m) => m.target)).toEqual(targets);
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8').trim().split('\n');
    for (const m of ms) {
      const file = join(out, m.target, m.file);
      expect(m).toMatchObject({ name: 'posture-verify', version: '2.3.4', nodeVersion: pinnedNodeVersion(), file: m.target === 'win-x64' ? 'posture-verify.exe' : 'posture-verify' });
      expect(JSON.parse(readFileSync(join(out, m.target, 'manifest.json'), 'utf8'))).toEqual(m);
      expect(m.sha256).toBe(sha256File(file));
      expect(readFileSync(`${file}.sha256`, 'utf8')).toBe(`${m.sha256}  ${m.file}\n`);
      expect(sums).toContain(`${m.sha256}  ${m.target}/${m.file}`);
    }
    // `sha256sum -c`, as the documented procedure has the auditor run it.
    const c = spawnSync('sha256sum', ['-c', 'posture-verify.sha256'], { cwd: join(out, 'linux-x64'), encoding: 'utf8' });
    expect(c.stdout.trim()).toBe('posture-verify: OK');
  });

  it('each artefact has its platform header and the injected verifier; the bare runtime has not', () => {
    for (const m of ms) {
      const t = TARGETS[m.target];
      const i = inspectExecutable(join(out, m.target, m.file), [MARK]);
      expect(i, m.target).toMatchObject({ format: t.format, machine: t.machine, seaResource: true, fuseFlipped: true, contains: { [MARK]: true } });
      const bare = inspectExecutable(nodeRuntime(t, m.nodeVersion), [MARK]);
      expect(bare.fuseFlipped || bare.contains[MARK], m.target).toBe(false);
    }
    expect(ms.find((m) => m.target === 'darwin-x64')?.signature).toBe(process.platform === 'darwin' ? 'ad-hoc' : 'invalid-resign-required');
  });

  it('--help prints the usage and exit codes; no argument is a usage error (2)', () => {
    const h = run(['--help']);
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toContain(USAGE);
    expect(h.stdout).toContain('Exit codes: 0 verified, 1 verification failed');
    const none = run([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(USAGE);
  });

  it('verifies the exported .tar.gz alone (exit 0), printing the collector key fingerprint and the warning', () => {
    const r = run(['bundle.tar.gz']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('VERDICT: VERIFIED');
    expect(r.stdout).toContain(`key id ${tc.ctx.identity.signingKid}`);
    expect(r.stdout).toMatch(/WARNING: +trusted the collector key shipped INSIDE the bundle/);
  });

  it('with --jwks the collector key is pinned (exit 0, no warning)', () => {
    const r = run(['bundle.tar.gz', '--jwks', 'jwks.json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('pinned JWKS');
    expect(r.stdout).not.toContain('WARNING');
  });

  it('a tampered bundle fails (exit 1) naming the file', async () => {
    const dir = join(auditor, 'unpacked');
    mkdirSync(dir);
    await unpackTarGz(createReadStream(join(auditor, 'bundle.tar.gz')), dir);
    const ok = run([dir]);
    expect(ok.status, ok.stdout).toBe(0);
    const p = join(dir, 'devices.csv');
    writeFileSync(p, readFileSync(p, 'utf8').replace(',fw,', ',fw2,'));
    const r = run([dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL devices\.csv: /);
    expect(r.stdout).toMatch(/VERDICT: FAILED — \d+ problem\(s\) in: .*devices\.csv/);
  });

  it('an unreadable input is exit 2', () => {
    const r = run(['no-such-bundle.tar.gz']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot read no-such-bundle.tar.gz');
  });
});
