/**
 * The secret-file proof (the Windows local channel's access control, agent/src/local/proof/)
 * run for real on Linux: a root agent issues per-user secrets as files only that user can
 * read (POSIX grant: owner + 0400, where Windows uses icacls), two real local accounts run
 * the real client code as themselves (runuser), and the agent serves whoever proves it.
 * A user who cannot read another's secret cannot speak for them; a stand-in that holds no
 * secret cannot answer in the agent's name. What differs on Windows (icacls instead of
 * chown/chmod, SIDs instead of uids, a named pipe) is covered by unit tests only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/collector.js';
import { LocalChannelServer } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';
import { ProofStore } from '../../agent/src/local/proof/store.js';
import { posixGrant } from '../../agent/src/local/proof/posix-grant.js';
import { askAgent } from '../../agent/src/local/client.js';
import { loadClientKey } from '../../agent/src/local/proof/client-key.js';
import { seal, signRequest, unseal } from '../../agent/src/local/proof/auth.js';
import { MAX_CONNECTIONS_PER_UID } from '../../agent/src/local/protocol.js';

// One pair of usernames for this file only: files run in parallel and each deletes its own.
const A = 'posture-proof-a';
const B = 'posture-proof-b';
const CLIENT = join(ROOT, 'test', 'local', 'helpers', 'proof-client.ts');
const isRoot = process.getuid?.() === 0;

function ids(user: string): { uid: number; gid: number } {
  return { uid: Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim()), gid: Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim()) };
}

/** The real client as `user`; its one JSON line. */
function clientAs(user: string, args: string[]): Promise<Record<string, unknown>> {
  const child = spawn('/usr/sbin/runuser', ['-u', user, '--', process.execPath, '--import', 'tsx', CLIENT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) =>
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!));
      } catch {
        reject(new Error(`client as ${user}: ${out} ${err}`));
      }
    }),
  );
}

describe.skipIf(!isRoot)('secret-file proof: each user proves who they are by a file only they can read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posture-proof-'));
  const root = join(dir, 'local');
  const sock = join(dir, 'agent.sock');
  const logs: string[] = [];
  const created: string[] = [];
  let a = { uid: -1, gid: -1 };
  let b = { uid: -1, gid: -1 };
  let store: ProofStore;
  let server: LocalChannelServer;

  beforeAll(async () => {
    for (const u of [A, B]) {
      if (spawnSync('id', ['-u', u]).status !== 0) {
        const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', u], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        created.push(u);
      }
    }
    a = ids(A);
    b = ids(B);
    chmodSync(dir, 0o755);
    store = new ProofStore({ root, grant: posixGrant, principals: async () => [{ id: String(a.uid), name: A, ...a }, { id: String(b.uid), name: B, ...b }] });
    server = new LocalChannelServer({
      path: sock,
      log: (_l, m) => logs.push(m),
      run: createRunner().run,
      platform: 'linux',
      proof: store,
      handlers: {
        status: async () => ({ state: 'compliant' }),
        open: async () => ({ url: 'https://collector.invalid/my-device?t=link', expiresAt: new Date(Date.now() + 600_000).toISOString() }),
        checkNow: () => ({ queued: true, detail: 'queued' }),
      },
    });
    await store.start();
    await server.start();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const u of created) spawnSync('userdel', [u]);
  });

  it('each secret is a file owned by its user, mode 0400, in an agent-owned directory', () => {
    const f = statSync(join(root, String(a.uid), 'secret'));
    expect([f.uid, f.mode & 0o777]).toEqual([a.uid, 0o400]);
    const d = statSync(join(root, String(a.uid)));
    expect([d.uid, d.mode & 0o777]).toEqual([0, 0o755]);
    expect(spawnSync('/usr/sbin/runuser', ['-u', B, '--', 'cat', join(root, String(a.uid), 'secret')]).status).not.toBe(0);
  });

  it('user A, with A’s own secret: status and open answered, sealed for A; logged as A', async () => {
    const r = await clientAs(A, [sock, root, 'own', 'status']);
    expect(r).toMatchObject({ kind: 'answer', response: { ok: true, type: 'status', status: { state: 'compliant' } } });
    const o = await clientAs(A, [sock, root, 'own', 'open']);
    expect(o).toMatchObject({ kind: 'answer', response: { ok: true, type: 'open', url: expect.stringContaining('/my-device?t=') } });
    expect(logs.join('\n')).toContain(`local channel: open for ${a.uid} (${A})`);
  }, 120_000);

  it('user B cannot read A’s secret; claiming to be A with B’s secret, or asking unsigned, is refused', async () => {
    expect(await clientAs(B, [sock, root, `steal:${a.uid}`, 'open'])).toMatchObject({ keyError: expect.stringContaining('EACCES') });
    const claim = await clientAs(B, [sock, root, `claim:${a.uid}`, 'open']);
    expect(claim).toMatchObject({ kind: 'answer', response: { ok: false, code: 'forbidden', error: expect.stringContaining(`not signed with ${a.uid}’s current secret`) } });
    const none = await clientAs(B, [sock, root, 'none', 'status']);
    expect(none).toMatchObject({ kind: 'answer', response: { ok: false, code: 'forbidden', error: expect.stringContaining('signed with your secret') } });
    // B as itself still works: the refusals above were about the claim, not about B.
    expect(await clientAs(B, [sock, root, 'own', 'status'])).toMatchObject({ kind: 'answer', response: { ok: true } });
  }, 120_000);

  it('after a rotation the client reads the new secret and is served (the old one’s grace: proof.test.ts)', async () => {
    const old = await loadClientKey(root, String(a.uid));
    if ('error' in old) throw new Error(old.error);
    await store.rotate();
    const fresh = await loadClientKey(root, String(a.uid));
    if ('error' in fresh) throw new Error(fresh.error);
    expect(fresh.secret.equals(old.secret)).toBe(false);
    expect(await clientAs(A, [sock, root, 'own', 'status'])).toMatchObject({ kind: 'answer', response: { ok: true } });
  }, 60_000);

  it(`per user (SID) limits: at most ${MAX_CONNECTIONS_PER_UID} connections of one proven user; one connection, one user`, async () => {
    const ka = await loadClientKey(root, String(a.uid));
    const kb = await loadClientKey(root, String(b.uid));
    if ('error' in ka || 'error' in kb) throw new Error('no keys');
    /** Open a connection, send the given signed requests, collect `n` answer lines (opened when sealed). */
    const talk = (reqs: { id: string; secret: Buffer }[], keep: Socket[]) =>
      new Promise<string[]>((resolve) => {
        const c = connect(sock);
        keep.push(c);
        const auths = reqs.map((k) => ({ k, auth: signRequest('status', k.id, k.secret) }));
        let buf = '';
        const out: string[] = [];
        c.on('connect', () => c.write(auths.map((x) => JSON.stringify({ v: 1, type: 'status', auth: x.auth }) + '\n').join('')));
        c.on('data', (d) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = JSON.parse(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            const x = auths[out.length]!;
            out.push(line.sealed ? unseal(line.sealed, x.k.secret, x.auth.nonce)! : JSON.stringify(line));
            if (out.length === reqs.length) resolve(out);
          }
        });
        c.on('close', () => resolve(out));
      });
    const keep: Socket[] = [];
    try {
      const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_UID }, () => talk([ka], keep)));
      expect(held.map((h) => JSON.parse(h[0]!).ok)).toEqual(Array(MAX_CONNECTIONS_PER_UID).fill(true));
      const over = await talk([ka], keep);
      expect(JSON.parse(over[0]!)).toMatchObject({ ok: false, code: 'rate_limited' });
      // B is not affected by A's connections; and B's connection cannot then speak as A.
      const mixed = await talk([kb, ka], keep);
      expect(JSON.parse(mixed[0]!)).toMatchObject({ ok: true });
      expect(JSON.parse(mixed[1]!)).toMatchObject({ ok: false, code: 'forbidden', error: expect.stringContaining('one connection, one user') });
    } finally {
      for (const c of keep) c.destroy();
    }
  }, 60_000);

  it('a stand-in on the channel that holds no secret cannot answer in the agent’s name', async () => {
    const key = await loadClientKey(root, String(a.uid));
    if ('error' in key) throw new Error(key.error);
    const fakeDir = mkdtempSync(join(tmpdir(), 'posture-standin-'));
    try {
      // An unsealed "ok", and an answer sealed with another secret (a user's own).
      const other = await loadClientKey(root, String(b.uid));
      if ('error' in other) throw new Error(other.error);
      for (const [name, answer] of [
        ['plain', () => JSON.stringify({ v: 1, ok: true, type: 'open', url: 'https://phish.invalid/', expiresAt: '' })],
        ['sealed-by-b', (nonce: string) => JSON.stringify({ v: 1, sealed: seal(JSON.stringify({ v: 1, ok: true, type: 'open', url: 'https://phish.invalid/', expiresAt: '' }), other.secret, nonce) })],
      ] as const) {
        const path = join(fakeDir, `${name}.sock`);
        const fake = createServer((s) => s.on('data', (d) => s.write(answer(JSON.parse(d.toString()).auth.nonce) + '\n')));
        await new Promise<void>((r) => fake.listen(path, r));
        try {
          expect(await askAgent(path, { v: 1, type: 'open' }, 5000, key), name).toMatchObject({ kind: 'none', why: 'broken', detail: expect.stringContaining('not the agent') });
        } finally {
          fake.close();
        }
      }
    } finally {
      rmSync(fakeDir, { recursive: true, force: true });
    }
  });
});
