/**
 * An agent built before gzip targets existed (the source of commit 66d7408, extracted with
 * `git archive`) updates from a repository that publishes both forms (server/src/updates/repo.ts):
 * it lists only `kind: "posture-agent"`, so it takes the executable even when the gzip file on
 * the mirror is corrupted, and the new version (built from this tree) commits. This is the
 * compatibility claim of docs/updates.md "Compressed targets", checked on the real old code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent } from '../../scripts/build/agent.js';
import { ROOT } from '../../scripts/build/targets.js';
import { release } from '../../scripts/release/main.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';
import { loadOrCreateSigningKey } from '../../server/src/updates/tuf-keys.js';
import { initRepo } from '../../server/src/updates/repo.js';

/** The last commit whose agent knows nothing of gzip targets. */
const OLD_COMMIT = '66d7408';

/** A shallow clone lacks the old commit: the test then says so and is skipped, not failed. */
const HAS_OLD_COMMIT = (() => {
  try {
    execFileSync('git', ['-C', ROOT, 'cat-file', '-e', `${OLD_COMMIT}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`[posture tests] commit ${OLD_COMMIT} is not in this clone (shallow?): the old-agent update test is SKIPPED`);
    return false;
  }
})();

describe.skipIf(!HAS_OLD_COMMIT)('an agent from before gzip targets', () => {
  let dir: string;
  let collector: TestCollector;
  let child: ChildProcess | null = null;
  let stopped = false;
  const repo = () => join(dir, 'repo');
  const keys = () => join(dir, 'keys');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-oldagent-'));
    const old = join(dir, 'old-src');
    mkdirSync(old);
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${OLD_COMMIT} agent shared package.json tsconfig.json | tar -x -C "${old}"`]);
    symlinkSync(join(ROOT, 'node_modules'), join(old, 'node_modules'));
    const k = (r: string) => loadOrCreateSigningKey(join(keys(), `${r}.pem`)).key;
    initRepo(repo(), { root: k('root'), targets: k('targets'), snapshot: k('snapshot'), timestamp: k('timestamp') });
    const rootFile = join(repo(), 'metadata', '1.root.json');
    await buildAgent({ targets: ['linux-x64'], version: '1.0.0', outDir: join(dir, 'v1'), tufRoot: rootFile, quiet: true, entry: join(old, 'agent', 'src', 'cli', 'main.ts') });
    await buildAgent({ targets: ['linux-x64'], version: '2.0.0', outDir: join(dir, 'v2'), tufRoot: rootFile, quiet: true });
    collector = await startTestCollector('pglite', { POSTURE_UPDATES_DIR: repo(), POSTURE_UPDATES_TIMESTAMP_KEY: join(keys(), 'timestamp.pem') });
  }, 300_000);

  afterAll(async () => {
    stopped = true;
    child?.kill('SIGTERM');
    await collector?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes the executable target, ignoring the gzip one, and commits the new version', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const exe = join(bin, 'posture-agent');
    cpSync(join(dir, 'v1', 'linux-x64', 'posture-agent'), exe);
    const state = join(dir, 'state');
    const en = spawn(exe, ['enroll', '--server', collector.url, '--secret', ENROLL_SECRET, '--state-dir', state], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    en.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => en.on('exit', r));
    const deviceId = /device (\S+)/.exec(out)?.[1];
    expect(deviceId).toMatch(/^dev_/);
    let starts = 0;
    const start = () => {
      if (stopped) return;
      starts++;
      child = spawn(exe, ['run', '--state-dir', state], { stdio: 'ignore' });
      child.on('exit', () => setTimeout(start, 200));
    };
    start();
    await waitFor(async () => ((await collector.api(`/api/v1/devices/${deviceId}`)).body?.agentVersion === '1.0.0' ? true : null), 90_000, 500);

    release({ version: '2.0.0', channel: 'stable', artefactsDir: join(dir, 'v2'), repo: repo(), keysDir: keys() });
    // Corrupt the gzip file: an agent that fetched it would be refused by TUF.
    const tdir = join(repo(), 'targets', 'agent', '2.0.0', 'linux-x64');
    const gz = join(tdir, readdirSync(tdir).find((n) => n.endsWith('.gz'))!);
    writeFileSync(gz, Buffer.from('not the signed gzip'));
    await new Promise((res) => setTimeout(res, 200));
    expect((await collector.api(`/api/v1/devices/${deviceId}/update-now`, { method: 'POST' })).status).toBe(202);
    const st = () => JSON.parse(readFileSync(join(state, 'update', 'state.json'), 'utf8'));
    const done = await waitFor(async () => { try { const s = st(); return ['committed', 'rolled-back', 'refused'].includes(s.state) ? s : null; } catch { return null; } }, 150_000, 300);
    expect(done).toMatchObject({ state: 'committed', from: '1.0.0', to: '2.0.0' });
    expect(starts).toBe(2);
    expect(readFileSync(exe).equals(readFileSync(join(dir, 'v2', 'linux-x64', 'posture-agent')))).toBe(true);
  }, 300_000);
});
