/**
 * Attack pass (session 3): forging the local channel's peer check. The agent decides who is
 * asking from the kernel's socket table; until this fix it parsed `ss -xpnH` text, in which
 * the *client* chooses two fields: the path its socket is bound to (any bytes, newlines
 * included) and its process name (/proc/self/comm, newlines included). A real `nobody`
 * process binds its client socket to a path that prints a fake row "… <its inode> * 1
 * users:(("systemd",pid=1,fd=3))" and renames itself "a\nb" so its genuine row no longer
 * parses: the agent then believed pid 1 (uid 0) was asking and gave a system account a
 * My-device link and check-now, logging a forged "uid 0 pid 1".
 * Required: the peer is nobody's word but the kernel's; the forging peer is seen as 65534.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.js';
import { LocalChannelServer } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';

const isRoot = process.getuid?.() === 0;
const PY = '/usr/bin/python3';

/** The attacking client: runs as `user`, forges its ss row, asks for `type`; prints the agent's answer. */
const ATTACKER = String.raw`
import socket, os, re, sys, json
path, bind_dir, forge, kind = sys.argv[1], sys.argv[2], sys.argv[3] == "forge", sys.argv[4]
c = socket.socket(socket.AF_UNIX)
if forge:
    open("/proc/self/comm", "w").write("a\nb")
    ino = re.search(r"\d+", os.readlink("/proc/self/fd/%d" % c.fileno())).group(0)
    c.bind(os.path.join(bind_dir, 'x %s * 1 users:(("systemd",pid=1,fd=3))\n' % ino))
c.connect(path)
c.sendall(json.dumps({"v": 1, "type": kind}).encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    d = c.recv(65536)
    if not d: break
    buf += d
sys.stdout.write(buf.decode())
`;

function runAs(user: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('/usr/sbin/runuser', ['-u', user, '--', PY, '-c', ATTACKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((r) => child.on('exit', (c) => (clearTimeout(timer), r({ code: c ?? -1, stdout, stderr }))));
}

describe.skipIf(!isRoot || spawnSync(PY, ['-V']).status !== 0)('local channel: a forged socket-table row does not make a system account root', () => {
  const dir = tempDir('posture-peer-');
  const bindDir = join(dir, 'attacker');
  const sock = join(dir, 'agent.sock');
  const logs: string[] = [];
  let server: LocalChannelServer;
  beforeAll(async () => {
    chmodSync(dir, 0o755);
    spawnSync('mkdir', ['-m', '1777', bindDir]);
    server = new LocalChannelServer({
      path: sock,
      log: (_l, msg) => logs.push(msg),
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
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nobody, honest: open refused as a system account (control)', async () => {
    const r = await runAs('nobody', [sock, bindDir, 'honest', 'open']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(logs.join('\n')).toContain('uid 65534');
  }, 90_000);

  for (const kind of ['open', 'check-now'] as const) {
    it(`nobody, forging an ss row for pid 1 and hiding its own: ${kind} still refused, logged as 65534`, async () => {
      logs.length = 0;
      const r = await runAs('nobody', [sock, bindDir, 'forge', kind]);
      expect(r.stderr).toBe('');
      const answer = JSON.parse(r.stdout) as { ok: boolean; code?: string };
      expect(answer, `agent log: ${logs.join(' | ')}`).toMatchObject({ ok: false, code: 'forbidden' });
      expect(logs.join('\n')).not.toMatch(/uid 0 pid 1\b/);
      expect(logs.join('\n')).toContain('uid 65534');
    }, 90_000);
  }

  it('a root client still gets its link (the check did not just refuse everyone)', async () => {
    const r = await runAs('root', [sock, bindDir, 'honest', 'open']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, type: 'open', url: expect.stringContaining('/my-device?t=') });
  }, 90_000);
});
