/**
 * Real self-update: v1 and v2 single executables built here (linux-x64, the pinned Node),
 * a TUF repository written by `release()`, a collector serving /updates/ with the online
 * timestamp key, and v1 running under a service-like supervisor (restarts it on exit, as
 * systemd Restart=always does). Agents download the gzip target (server/src/updates/repo.ts).
 * A tampered target is refused with v1 still running, and so is a gzip target whose signed
 * uncompressed hash does not match what it decompresses to; then the genuine v2 is taken, v1 exits 75, the supervisor starts v2 and the collector sees 2.0.0.
 * The agent's update-status reaches the collector (the refusal, then the committed update,
 * on the Updates API), and while the help desk has the rollout paused an update-now is
 * answered with "rollout paused" and nothing is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent } from '../../scripts/build/agent.js';
import { release } from '../../scripts/release/main.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';
import { loadOrCreateSigningKey, loadSigningKey } from '../../server/src/updates/tuf-keys.js';
import { initRepo } from '../../server/src/updates/repo.js';
import { TargetFile } from '@tufjs/models';
import { resignTargets } from '../helpers/tuf.js';

// Two causes of the former time-outs: an update-now issued before v1's first connection was
// dropped by the collector (now resent on connect: gateway/connection.ts), and the trial run of
// v2 reports 2.0.0 before the swap, so the version alone did not prove the restart (below).
describe('signed self-update of the single-file agent', () => {
  let dir: string;
  let collector: TestCollector;
  let sup: { stop: () => void; starts: number } | null = null;
  const repo = () => join(dir, 'repo');
  const keys = () => join(dir, 'keys');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-upd-'));
    // Keys and root first: the root is compiled into both binaries.
    const k = (r: string) => loadOrCreateSigningKey(join(keys(), `${r}.pem`)).key;
    initRepo(repo(), { root: k('root'), targets: k('targets'), snapshot: k('snapshot'), timestamp: k('timestamp') });
    const rootFile = join(repo(), 'metadata', '1.root.json');
    await buildAgent({ targets: ['linux-x64'], version: '1.0.0', outDir: join(dir, 'v1'), tufRoot: rootFile, quiet: true });
    await buildAgent({ targets: ['linux-x64'], version: '2.0.0', outDir: join(dir, 'v2'), tufRoot: rootFile, quiet: true });
    collector = await startTestCollector('pglite', { POSTURE_UPDATES_DIR: repo(), POSTURE_UPDATES_TIMESTAMP_KEY: join(keys(), 'timestamp.pem') });
  }, 300_000);

  afterAll(async () => {
    sup?.stop();
    await collector?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function supervise(exe: string, state: string): { stop: () => void; starts: number } {
    let child: ChildProcess | null = null;
    let stopped = false;
    const s = { starts: 0, stop: () => { stopped = true; child?.kill('SIGTERM'); } };
    const start = () => {
      if (stopped) return;
      s.starts++;
      child = spawn(exe, ['run', '--state-dir', state], { stdio: 'ignore' });
      child.on('exit', () => setTimeout(start, 200));
    };
    start();
    return s;
  }

  it('refuses a tampered target, then updates v1 -> v2 through the service manager and reports 2.0.0', async () => {
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
    sup = supervise(exe, state);
    await waitFor(async () => ((await collector.api(`/api/v1/devices/${deviceId}`)).body?.agentVersion === '1.0.0' ? true : null), 90_000, 500);

    // Release v2, then tamper with the stored gzip artefact (an attacker on the mirror). Only
    // the gzip target is tampered with: its refusal shows the agent downloads that one.
    release({ version: '2.0.0', channel: 'stable', artefactsDir: join(dir, 'v2'), repo: repo(), keysDir: keys() });
    const tdir = join(repo(), 'targets', 'agent', '2.0.0', 'linux-x64');
    expect(readdirSync(tdir).map((n) => n.replace(/^[0-9a-f]{64}\./, '')).sort()).toEqual(['posture-agent', 'posture-agent.gz']);
    const f = join(tdir, readdirSync(tdir).find((n) => n.endsWith('.gz'))!);
    const good = readFileSync(f);
    const v2exe = readFileSync(join(dir, 'v2', 'linux-x64', 'posture-agent'));
    const bad = Buffer.from(good);
    bad[bad.length - 10] ^= 0xff;
    writeFileSync(f, bad);
    let r = await collector.api(`/api/v1/devices/${deviceId}/update-now`, { method: 'POST' });
    expect(r.status).toBe(202);
    const st = () => JSON.parse(readFileSync(join(state, 'update', 'state.json'), 'utf8'));
    const refused = await waitFor(async () => { try { const s = st(); return s.state === 'refused' ? s : null; } catch { return null; } }, 60_000, 300);
    expect(refused.reason).toMatch(/download refused/);
    expect(sup.starts).toBe(1);
    expect(readFileSync(exe).equals(readFileSync(join(dir, 'v1', 'linux-x64', 'posture-agent')))).toBe(true);
    // The refusal reached the collector as update-status.
    const failed = await waitFor(async () => {
      const row = (await collector.api('/api/v1/updates')).body.devices?.find((d: { deviceId: string }) => d.deviceId === deviceId);
      return row?.result === 'failed' ? row : null;
    }, 30_000, 300);
    expect(failed).toMatchObject({ currentVersion: '1.0.0', targetVersion: '2.0.0', detail: expect.stringMatching(/download refused/) });

    // A gzip target whose signed uncompressed hash is not its content's (signed by the real
    // keys: a build-machine compromise or a release bug) passes TUF and is refused after
    // decompression, with v1 still running.
    writeFileSync(f, good);
    const gzPath = 'agent/2.0.0/linux-x64/posture-agent.gz';
    const sk = (r: string) => loadSigningKey(join(keys(), `${r}.pem`));
    resignTargets(repo(), { targets: sk('targets'), snapshot: sk('snapshot'), timestamp: sk('timestamp') }, {
      edit: (t) => {
        const tf = t.targets[gzPath];
        const c = tf.custom as { uncompressed: { length: number; sha256: string } };
        t.targets[gzPath] = new TargetFile({ path: gzPath, length: tf.length, hashes: tf.hashes, unrecognizedFields: { custom: { ...c, uncompressed: { ...c.uncompressed, sha256: 'ab'.repeat(32) } } as never } });
      },
    });
    await new Promise((res) => setTimeout(res, 200));
    r = await collector.api(`/api/v1/devices/${deviceId}/update-now`, { method: 'POST' });
    expect(r.status).toBe(202);
    const refusedHash = await waitFor(async () => { try { const s = st(); return s.state === 'refused' && s.at !== refused.at ? s : null; } catch { return null; } }, 90_000, 300);
    expect(refusedHash.reason).toMatch(/download refused: decompressed target's SHA-256 [0-9a-f]{64} is not the signed (ab){32}/);
    expect(sup.starts).toBe(1);
    expect(readFileSync(exe).equals(readFileSync(join(dir, 'v1', 'linux-x64', 'posture-agent')))).toBe(true);
    expect(readdirSync(bin)).toEqual(['posture-agent']);
    // The genuine release again (targets signed anew from the build's artefacts).
    release({ version: '2.0.0', channel: 'stable', artefactsDir: join(dir, 'v2'), repo: repo(), keysDir: keys() });

    // Paused by the help desk: the agent is told to hold; an update-now installs nothing.
    await new Promise((res) => setTimeout(res, 200));
    expect((await collector.api('/api/v1/updates/pause', { method: 'POST', body: JSON.stringify({ reason: 'test: hold 2.0.0' }) })).status).toBe(200);
    await waitFor(async () => (/"paused": *true/.test(readFileSync(join(state, 'agent.json'), 'utf8')) ? true : null), 30_000, 200);
    r = await collector.api(`/api/v1/devices/${deviceId}/update-now`, { method: 'POST' });
    expect(r.status).toBe(202);
    const held = await waitFor(async () => { try { const s = st(); return s.state === 'up-to-date' ? s : null; } catch { return null; } }, 60_000, 300);
    expect(held.reason).toBe('rollout paused');
    expect(sup.starts).toBe(1);
    expect((await collector.api('/api/v1/updates/resume', { method: 'POST', body: JSON.stringify({ reason: 'test: go' }) })).status).toBe(200);
    await waitFor(async () => (/"paused": *true/.test(readFileSync(join(state, 'agent.json'), 'utf8')) ? null : true), 30_000, 200);

    // The genuine file (restored above): the update goes through, and v2 reports.
    // The synchronous 100 MB reads above block this process (which also runs the collector)
    // past the keep-alive timeout of the pooled socket; a request sent before the overdue
    // timers ran went out on a socket the server was closing (ECONNRESET). Let them run first.
    await new Promise((res) => setTimeout(res, 200));
    r = await collector.api(`/api/v1/devices/${deviceId}/update-now`, { method: 'POST' });
    expect(r.status).toBe(202);
    // The trial run of v2 already reports 2.0.0 to the collector, before v1 swaps and exits:
    // the collector's version alone does not prove the restart. 'committed' is written only by
    // the restarted v2 on its first acknowledged report.
    const committed = await waitFor(async () => { try { const s = st(); return s.state === 'committed' || s.state === 'rolled-back' ? s : null; } catch { return null; } }, 150_000, 300);
    expect(committed).toMatchObject({ state: 'committed', from: '1.0.0', to: '2.0.0' });
    expect(sup.starts).toBe(2);
    expect(readFileSync(exe).equals(v2exe)).toBe(true);
    expect(readFileSync(`${exe}.previous`).equals(readFileSync(join(dir, 'v1', 'linux-x64', 'posture-agent')))).toBe(true);
    await waitFor(async () => ((await collector.api(`/api/v1/devices/${deviceId}`)).body?.agentVersion === '2.0.0' ? true : null), 60_000, 500);
    const updated = await waitFor(async () => {
      const u = (await collector.api('/api/v1/updates')).body;
      const row = u.devices?.find((d: { deviceId: string }) => d.deviceId === deviceId);
      return row?.result === 'updated' ? { row, u } : null;
    }, 30_000, 300);
    expect(updated.row).toMatchObject({ currentVersion: '2.0.0', targetVersion: '2.0.0', lastAttempt: { state: 'committed', from: '1.0.0', to: '2.0.0' } });
    // Two refusals happened, but the failure list names each device once, with its newest
    // failure (docs/security.md S4-A2: one device must not crowd out the others).
    expect(updated.u.failures.map((x: { state: string; deviceId: string }) => [x.state, x.deviceId])).toEqual([['refused', deviceId]]);
  }, 400_000);
});
