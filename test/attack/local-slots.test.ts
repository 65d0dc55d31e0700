/**
 * Attack pass (session 3): one local user taking every local-channel slot. The agent serves
 * at most 16 connections at once (docs/local-channel.md). A real `nobody` process opens 16 and
 * either trickles one byte a second (the idle timer restarted on every byte, so a slot was held
 * for ~4096 × 10 s) or sends a valid `status` every 3 s; meanwhile the employee's `status` is
 * closed at accept. Required: a slot is held only by completing a request every 10 s, and one
 * uid holds at most 4 identified connections; root's request is answered while either runs.
 * And a person's account that spends the `open` budget (30 a minute) spends its own only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.js';
import { LocalChannelServer, MAX_ACTIONS_PER_MINUTE } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';
import { MAX_CONNECTIONS } from '../../agent/src/local/protocol.js';

const USER = 'posture-atk-slots'; // one user per test file: files run in parallel and each deletes its own

const isRoot = process.getuid?.() === 0;
const PY = '/usr/bin/python3';

/** As a person's account: `n` × 8 `open` requests over fresh connections; prints how many were answered ok. */
const SPENDER = String.raw`
import socket, sys, json
path, rounds = sys.argv[1], int(sys.argv[2])
ok = 0
for r in range(rounds):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    s.sendall(b'{"v":1,"type":"open"}\n' * 8)
    buf = b""
    while buf.count(b"\n") < 8:
        d = s.recv(65536)
        if not d: break
        buf += d
    ok += sum(1 for l in buf.split(b"\n") if l and json.loads(l).get("ok"))
    s.close()
print(ok)
`;

const HOLDER = String.raw`
import socket, sys, time
path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX); s.connect(path); socks.append(s)
print("connected", flush=True)
end = time.time() + 40
while time.time() < end:
    for s in socks:
        try:
            s.sendall(b"{" if mode == "trickle" else b'{"v":1,"type":"status"}\n')
        except OSError:
            pass
    time.sleep(1 if mode == "trickle" else 3)
`;

/** One status request as root; the answer line, or why there was none. */
function askStatus(path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(path);
    let buf = '';
    const t = setTimeout(() => (s.destroy(), resolve(`no answer in 15 s (${buf})`)), 15_000);
    s.on('connect', () => s.write('{"v":1,"type":"status"}\n'));
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) (clearTimeout(t), s.destroy(), resolve(buf.split('\n')[0]!));
    });
    s.on('close', () => (clearTimeout(t), resolve(buf || 'closed without an answer')));
    s.on('error', (e) => (clearTimeout(t), resolve(`error ${e.message}`)));
  });
}

describe.skipIf(!isRoot || spawnSync(PY, ['-V']).status !== 0)('local channel: one user cannot take every connection slot', () => {
  const dir = tempDir('posture-slots-');
  const sock = join(dir, 'agent.sock');
  let server: LocalChannelServer;
  let holder: ChildProcess | null = null;
  let createdUser = false;
  beforeAll(async () => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      createdUser = true;
    }
    chmodSync(dir, 0o755);
    server = new LocalChannelServer({
      path: sock,
      log: () => {},
      run: createRunner().run,
      platform: 'linux',
      handlers: {
        status: async () => ({ state: 'ok' }),
        open: async () => ({ url: 'https://collector.invalid/my-device?t=link', expiresAt: new Date(Date.now() + 600_000).toISOString() }),
        checkNow: () => ({ queued: true, detail: 'queued' }),
      },
    });
    await server.start();
  }, 60_000);
  afterEach(() => {
    // The whole group: runuser does not pass SIGKILL on to the python it started.
    if (holder?.pid) {
      try {
        process.kill(-holder.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    holder = null;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (createdUser) spawnSync('userdel', [USER]);
  });

  it(`a person's account spends its link budget; root still gets a link`, async () => {
    // Not spawnSync: the agent under attack runs in this process and must keep answering.
    const child = spawn('/usr/sbin/runuser', ['-u', USER, '--', PY, '-c', SPENDER, sock, '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (r.stdout += d));
    child.stderr.on('data', (d) => (r.stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await new Promise((res) => child.on('exit', res));
    clearTimeout(timer);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(MAX_ACTIONS_PER_MINUTE); // 40 asked, the budget answered
    const answer = await new Promise<string>((resolve) => {
      const c = connect(sock);
      let buf = '';
      c.on('connect', () => c.write('{"v":1,"type":"open"}\n'));
      c.on('data', (d) => ((buf += d), buf.includes('\n') && (c.destroy(), resolve(buf))));
      c.on('close', () => resolve(buf));
    });
    expect(answer).toContain('"ok":true');
  }, 90_000);

  for (const mode of ['trickle', 'chatty'] as const) {
    it(`nobody holds ${MAX_CONNECTIONS} connections (${mode}); 12 s later root's status is answered`, async () => {
      holder = spawn('/usr/sbin/runuser', ['-u', 'nobody', '--', PY, '-c', HOLDER, sock, mode, String(MAX_CONNECTIONS)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      holder.stdout!.on('data', (d) => (out += d));
      holder.stderr!.on('data', (d) => (out += d));
      const t0 = Date.now();
      while (!out.includes('connected') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('connected');
      await new Promise((r) => setTimeout(r, 12_000));
      const answer = await askStatus(sock);
      expect(answer).toContain('"ok":true');
    }, 90_000);
  }
});
