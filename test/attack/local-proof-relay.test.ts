/**
 * Attack pass (session 4, S4-L5): a stand-in on the Windows pipe. Opened to Everyone, the
 * pipe lets any local user add an instance of it (GENERIC_WRITE includes
 * FILE_CREATE_PIPE_INSTANCE) and receive other users' requests, or relay them to the real
 * agent. Reproduced on Linux with the same protocol: a relay sits between a real user's
 * client (runuser) and the agent, recording and optionally altering what passes.
 * Required: the recorded request holds no secret and cannot be replayed; the recorded
 * answer does not show the link; an altered answer is not believed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/collector.js';
import { LocalChannelServer } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';
import { ProofStore } from '../../agent/src/local/proof/store.js';
import { posixGrant } from '../../agent/src/local/proof/posix-grant.js';

const USER = 'posture-atk-relay'; // one user per test file
const CLIENT = join(ROOT, 'test', 'local', 'helpers', 'proof-client.ts');
const LINK = 'https://collector.invalid/my-device?t=secret-link-token';
const isRoot = process.getuid?.() === 0;

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
        reject(new Error(`client: ${out} ${err}`));
      }
    }),
  );
}

/** One raw line to the agent, its one answer line. */
function rawAsk(path: string, line: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(path);
    let buf = '';
    c.on('connect', () => c.write(line));
    c.on('data', (d) => ((buf += d), buf.includes('\n') && (c.destroy(), resolve(buf.split('\n')[0]!))));
    c.on('close', () => resolve(buf));
  });
}

describe.skipIf(!isRoot)('local channel (proof): a relaying stand-in learns nothing it can use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posture-relay-'));
  const root = join(dir, 'local');
  const agentSock = join(dir, 'agent.sock');
  const relaySock = join(dir, 'relay.sock');
  const captured: string[] = [];
  const answers: string[] = [];
  let tamper = false;
  let created = false;
  let uid = -1;
  let server: LocalChannelServer;
  let relay: Server;
  const open: Socket[] = [];

  beforeAll(async () => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      created = true;
    }
    uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    chmodSync(dir, 0o755);
    const store = new ProofStore({ root, grant: posixGrant, principals: async () => [{ id: String(uid), name: USER, uid, gid: uid }] });
    server = new LocalChannelServer({
      path: agentSock,
      log: () => {},
      run: createRunner().run,
      platform: 'linux',
      proof: store,
      handlers: { status: async () => ({ state: 'ok' }), open: async () => ({ url: LINK, expiresAt: new Date(Date.now() + 600_000).toISOString() }), checkNow: () => ({ queued: true, detail: 'q' }) },
    });
    await store.start();
    await server.start();
    // The stand-in: forwards both ways, line by line, keeping a copy; can flip one byte of each answer.
    relay = createServer((client) => {
      const up = connect(agentSock);
      open.push(client, up);
      client.on('data', (d) => (captured.push(d.toString()), up.write(d)));
      up.on('data', (d) => {
        let s = d.toString();
        answers.push(s);
        if (tamper) s = s.replace(/"sealed":"(.)/, (_m, c: string) => `"sealed":"${c === 'A' ? 'B' : 'A'}`);
        client.write(s);
      });
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(relaySock, r));
    chmodSync(relaySock, 0o666);
  }, 60_000);

  afterAll(async () => {
    for (const s of open) s.destroy();
    relay?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (created) spawnSync('userdel', [USER]);
  });

  it('relayed: the user is served, but the stand-in saw no secret and no link', async () => {
    const r = await clientAs(USER, [relaySock, root, 'own', 'open']);
    expect(r).toMatchObject({ kind: 'answer', response: { ok: true, url: LINK } });
    const secret = readFileSync(join(root, String(uid), 'secret'), 'utf8').trim();
    expect(captured.join('')).not.toContain(secret);
    expect(answers.join('')).not.toContain('my-device');
    expect(answers.join('')).toContain('"sealed"');
  }, 90_000);

  it('the captured request replayed to the agent is refused', async () => {
    const answer = JSON.parse(await rawAsk(agentSock, captured[0]!));
    expect(answer).toMatchObject({ ok: false, code: 'forbidden', error: expect.stringContaining('replayed') });
  });

  it('an answer altered on the way is not believed', async () => {
    tamper = true;
    const r = await clientAs(USER, [relaySock, root, 'own', 'open']);
    expect(r).toMatchObject({ kind: 'none', why: 'broken', detail: expect.stringContaining('not the agent') });
  }, 90_000);
});
