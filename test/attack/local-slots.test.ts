/**
 * Attack pass (session 3): one local user taking every local-channel slot. The agent serves
 * at most 16 connections at once (docs/local-channel.md). A real `nobody` process opens 16 and
 * either trickles one byte a second (the idle timer restarted on every byte, so a slot was held
 * for ~4096 × 10 s) or sends a valid `status` every 3 s; meanwhile the employee's `status` is
 * closed at accept. Required: a slot is held only by completing a request every 10 s, and one
 * uid holds at most 4 identified connections; root's request is answered while either runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.js';
import { LocalChannelServer } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';
import { MAX_CONNECTIONS } from '../../agent/src/local/protocol.js';

const isRoot = process.getuid?.() === 0;
const PY = '/usr/bin/python3';

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
  beforeAll(async () => {
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
    holder?.kill('SIGKILL');
    holder = null;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ['trickle', 'chatty'] as const) {
    it(`nobody holds ${MAX_CONNECTIONS} connections (${mode}); 12 s later root's status is answered`, async () => {
      holder = spawn('/usr/sbin/runuser', ['-u', 'nobody', '--', PY, '-c', HOLDER, sock, mode, String(MAX_CONNECTIONS)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
