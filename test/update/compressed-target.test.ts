/**
 * The agent's updater (agent/src/update/updater.ts updateOnce) against a real TUF repository
 * written by `addRelease` and served over real HTTP (the /updates/ layout of
 * server/src/updates/routes.ts), through the real tuf-js client: a release's gzip target is
 * preferred, decompressed and staged; and signed-but-wrong gzip targets (what a compromised
 * build machine or a release bug would publish: the targets key signed them, so TUF accepts
 * the compressed bytes) are refused before anything is staged, with the running binary
 * untouched. The full v1 -> v2 swap through the gzip target is test/update/self-update.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { addRelease, initRepo, metadataDir, readTargets, refreshTimestamp } from '../../server/src/updates/repo.js';
import { resignTargets, type ExtraTarget } from '../helpers/tuf.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../server/src/updates/tuf-keys.js';
import { thisTarget, updateOnce, type UpdateState } from '../../agent/src/update/updater.js';
import { stagedPath } from '../../agent/src/update/swap.js';
import { AGENT_GZIP_KIND } from '../../shared/src/policy/agent-targets.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// A stand-in executable: `--version` prints the release, `run` exits 3 (so a staged binary
// shows that it was decompressed intact and ran, then its trial fails and nothing is swapped).
const script = (v: string) => Buffer.from(`#!/bin/sh\n[ "$1" = --version ] && echo ${v} && exit 0\nexit 3\n# ${'padding '.repeat(4000)}\n`);

describe('compressed (gzip) update targets', () => {
  let dir: string;
  let server: http.Server;
  let url: string;
  const fetched: string[] = [];
  let keys: Record<'root' | 'targets' | 'snapshot' | 'timestamp', SigningKey>;
  const repo = () => join(dir, 'repo');
  const exe = () => join(dir, 'bin', 'posture-agent');
  const v1 = script('1.0.0');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-gz-'));
    const k = (r: string) => loadOrCreateSigningKey(join(dir, 'keys', `${r}.pem`)).key;
    keys = { root: k('root'), targets: k('targets'), snapshot: k('snapshot'), timestamp: k('timestamp') };
    initRepo(repo(), keys);
    // Served as the collector does: /updates/metadata/<name> and /updates/targets/<path>.
    server = http.createServer((req, res) => {
      const p = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      fetched.push(p);
      const f = p.startsWith('/updates/') ? join(repo(), p.slice('/updates/'.length)) : '';
      if (!f || p.includes('..') || !existsSync(f) || !statSync(f).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': statSync(f).size });
      createReadStream(f).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh install of v1 and its state dir; returns the attempt's state. */
  async function attempt(name: string): Promise<{ s: UpdateState; state: string }> {
    const bin = join(dir, 'bin');
    rmSync(bin, { recursive: true, force: true });
    rmSync(join(dir, name), { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    writeFileSync(exe(), v1);
    chmodSync(exe(), 0o755);
    const state = join(dir, name);
    fetched.length = 0;
    const s = await updateOnce({
      stateDir: state,
      server: url,
      tls: {},
      deviceId: 'dev_gz',
      currentVersion: '1.0.0',
      exe: exe(),
      trustedRoot: readFileSync(join(metadataDir(repo()), '1.root.json'), 'utf8'),
      rollout: {},
      pause: async () => {},
      resume: async () => {},
      trialTimeoutMs: 20_000,
      platform: 'linux',
      log: () => {},
    });
    return { s, state };
  }

  /** Nothing staged or half-decompressed is left beside the binary, and v1 is intact. */
  function expectOldBinaryOnly() {
    expect(readFileSync(exe()).equals(v1)).toBe(true);
    expect(readdirSync(join(dir, 'bin'))).toEqual(['posture-agent']);
  }

  const signWith = (add: ExtraTarget[]) => resignTargets(repo(), keys, { add });

  const custom = (version: string, extra: Record<string, unknown>) => ({ kind: AGENT_GZIP_KIND, version, channel: 'stable', target: thisTarget(), encoding: 'gzip', ...extra });

  it('a release signs both forms; the agent takes the gzip one, decompresses it intact and stages it (old agents list only the executable)', async () => {
    const v2 = script('2.0.0');
    const src = join(dir, 'v2-posture-agent');
    writeFileSync(src, v2);
    const r = addRelease(repo(), keys, { version: '2.0.0', channel: 'stable', artefacts: [{ target: thisTarget(), file: src }] });
    refreshTimestamp(repo(), keys.timestamp, { force: true });
    expect(r.paths).toEqual([`agent/2.0.0/${thisTarget()}/v2-posture-agent`, `agent/2.0.0/${thisTarget()}/v2-posture-agent.gz`]);
    const signed = readTargets(repo())!.signed.targets;
    const gz = signed[`agent/2.0.0/${thisTarget()}/v2-posture-agent.gz`];
    expect(gz.custom).toMatchObject({ kind: AGENT_GZIP_KIND, version: '2.0.0', uncompressed: { length: v2.length, sha256: sha(v2) } });
    expect(gz.length).toBeLessThan(v2.length / 10);
    // What agents before the gzip target did (updater.ts up to session 4): only this kind.
    const oldAgentSees = Object.entries(signed).filter(([, f]) => (f.custom as { kind?: string }).kind === 'posture-agent').map(([p]) => p);
    expect(oldAgentSees).toEqual([`agent/2.0.0/${thisTarget()}/v2-posture-agent`]);

    const { s } = await attempt('state-ok');
    // The trial of the staged binary ran it (exit 3): the decompressed file was the signed one.
    expect(s).toMatchObject({ state: 'rolled-back', from: '1.0.0', to: '2.0.0' });
    expect(s.reason).toMatch(/exited \(code 3\)/);
    expect(fetched.filter((p) => p.startsWith('/updates/targets/'))).toEqual([`/updates/targets/agent/2.0.0/${thisTarget()}/${gz.hashes.sha256}.v2-posture-agent.gz`]);
    expectOldBinaryOnly();
  });

  it('refuses a gzip target whose decompressed bytes do not match the signed uncompressed hash; the old binary stays', async () => {
    const v3 = script('3.0.0');
    signWith([{ path: `agent/3.0.0/${thisTarget()}/posture-agent.gz`, data: gzipSync(v3), custom: custom('3.0.0', { uncompressed: { length: v3.length, sha256: sha(script('3.0.1')) } }) }]);
    const { s } = await attempt('state-hash');
    expect(s).toMatchObject({ state: 'refused', to: '3.0.0' });
    expect(s.reason).toMatch(/^download refused: decompressed target's SHA-256 [0-9a-f]{64} is not the signed [0-9a-f]{64}/);
    expectOldBinaryOnly();
  });

  it('refuses a gzip target whose custom metadata lacks the uncompressed hash, before downloading it', async () => {
    const v4 = script('4.0.0');
    signWith([{ path: `agent/4.0.0/${thisTarget()}/posture-agent.gz`, data: gzipSync(v4), custom: custom('4.0.0', { uncompressed: { length: v4.length } }) }]);
    const { s } = await attempt('state-nohash');
    expect(s).toMatchObject({ state: 'refused', to: '4.0.0' });
    expect(s.reason).toMatch(/custom\.uncompressed\.sha256 is missing/);
    expect(fetched.filter((p) => p.startsWith('/updates/targets/'))).toEqual([]);
    expectOldBinaryOnly();
    // Without any `uncompressed` at all, the same.
    signWith([{ path: `agent/4.0.1/${thisTarget()}/posture-agent.gz`, data: gzipSync(script('4.0.1')), custom: custom('4.0.1', {}) }]);
    const b = await attempt('state-nouncompressed');
    expect(b.s).toMatchObject({ state: 'refused', to: '4.0.1', reason: expect.stringMatching(/custom\.uncompressed is missing/) });
    expectOldBinaryOnly();
  });

  it('refuses a decompression bomb (64 MiB of zeros in a small gz, signed length 1 MiB) and leaves nothing staged', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);
    signWith([{ path: `agent/5.0.0/${thisTarget()}/posture-agent.gz`, data: bomb, custom: custom('5.0.0', { uncompressed: { length: 1024 * 1024, sha256: sha(Buffer.alloc(1024 * 1024)) } }) }]);
    const { s } = await attempt('state-bomb');
    expect(s).toMatchObject({ state: 'refused', to: '5.0.0' });
    expect(s.reason).toMatch(/larger than its signed length 1048576 \(refused as a decompression bomb\)/);
    expectOldBinaryOnly();
    expect(existsSync(stagedPath(exe(), 'linux'))).toBe(false);
  });
});
