import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginUidMin, mayAsk, peerInodeFromSs, socketHolders, ssPathPattern } from './peer.js';
import { localChannelPath, locateStateDir, stateDirCandidates } from '../state/paths.js';
import { askAgent } from './client.js';
import { buildStatusView } from '../cli/status.js';

// `ss -xnH src <our path>`: only our own socket's rows (listening + accepted).
const SS = [
  'u_str LISTEN 0      511    /tmp/posture-agent-x.sock 5000   * 0',
  'u_str ESTAB  0      0      /tmp/posture-agent-x.sock 5002   * 5001',
  'u_str ESTAB  0      0      /tmp/posture-agent-x.sock 6002   * 6001',
].join('\n');

describe('peer identification (pure parts)', () => {
  it('finds the peer inode of our accepted socket; anything not shaped like our own rows is no answer', () => {
    expect(peerInodeFromSs(SS, 5002)).toBe(5001);
    expect(peerInodeFromSs(SS, 6002)).toBe(6001);
    expect(peerInodeFromSs(SS, 5000)).toBeNull(); // the listener has no peer
    expect(peerInodeFromSs(SS, 9999)).toBeNull();
    // A second row claiming our inode, or a row of another shape (a name with a newline), is refused, not guessed.
    expect(peerInodeFromSs(SS + '\nu_str ESTAB 0 0 /tmp/posture-agent-x.sock 5002 * 7', 5002)).toBeNull();
    expect(peerInodeFromSs(SS + '\nu_str ESTAB 0 0 x 5002 * 7 users:(("a",pid=1,fd=3))', 5002)).toBeNull();
    expect(ssPathPattern('/tmp/a*b?[c]\\d')).toBe('/tmp/a\\*b\\?\\[c\\]\\\\d');
  });

  it('the holders of a socket come from /proc fd links (this process holds its own)', async () => {
    const srv = createServer();
    const path = join(mkdtempSync(join(tmpdir(), 'peer-')), 's.sock');
    await new Promise<void>((r) => srv.listen(path, r));
    try {
      const fd = (srv as unknown as { _handle: { fd: number } })._handle.fd;
      const inode = Number(/\d+/.exec(readlinkSync(`/proc/self/fd/${fd}`))![0]);
      expect(await socketHolders(inode)).toContain(process.pid);
      expect(await socketHolders(1)).toEqual([]);
    } finally {
      srv.close();
    }
  });

  it('status for any identified user; links for root, self and people, not for system accounts or the unidentified', () => {
    const o = { platform: 'linux', selfUid: 0, uidMin: 1000 };
    const p = (uid: number | null) => ({ uid, pid: 1, reason: uid === null ? 'not visible' : null });
    expect(mayAsk('status', p(33), o).ok).toBe(true);
    expect(mayAsk('open', p(1001), o).ok).toBe(true);
    expect(mayAsk('open', p(0), o).ok).toBe(true);
    expect(mayAsk('open', p(33), o)).toMatchObject({ ok: false, why: expect.stringContaining('system account') });
    expect(mayAsk('check-now', p(65534), o).ok).toBe(false);
    expect(mayAsk('open', p(500), { ...o, selfUid: 500 }).ok).toBe(true); // a user's own agent
    expect(mayAsk('status', p(null), o)).toMatchObject({ ok: false, why: expect.stringContaining('not visible') });
    // Unidentified is refused everywhere (session 4: macOS asks lsof, Windows needs the proof).
    expect(mayAsk('open', p(null), { ...o, platform: 'darwin' }).ok).toBe(false);
    expect(mayAsk('open', p(501), { ...o, uidMin: undefined, platform: 'darwin' }).ok).toBe(true); // macOS people start at 501
    expect(mayAsk('open', p(70), { ...o, uidMin: undefined, platform: 'darwin' }).ok).toBe(false); // _www
    expect(mayAsk('open', { uid: null, pid: null, reason: null, principal: 'S-1-5-21-1-2-3-1001' }, { ...o, platform: 'win32' }).ok).toBe(true);
    expect(loginUidMin('UID_MIN\t\t 500\nUID_MAX 60000\n')).toBe(500);
    expect(loginUidMin('')).toBe(1000);
  });
});

describe('where the channel is', () => {
  it('a sibling of the state directory on Unix; a named pipe on Windows', () => {
    // The service's /var/lib state: its systemd RuntimeDirectory (ProtectSystem=strict keeps /var/lib read-only).
    expect(localChannelPath('/var/lib/posture-agent', 'linux')).toBe('/run/posture-agent/agent.sock');
    expect(localChannelPath('/var/lib/posture-agent/', 'linux')).toBe('/run/posture-agent/agent.sock');
    expect(localChannelPath('/var/lib/acme/posture', 'linux')).toBe('/run/acme-posture/agent.sock');
    expect(localChannelPath('/srv/posture/agent', 'linux')).toBe('/srv/posture/agent.sock');
    expect(localChannelPath('/Library/Application Support/Posture/agent', 'darwin')).toBe('/Library/Application Support/Posture/agent.sock');
    const pd = process.env.ProgramData;
    process.env.ProgramData = 'C:\\ProgramData';
    try {
      expect(localChannelPath('C:\\ProgramData\\Posture\\agent', 'win32')).toBe('\\\\.\\pipe\\posture-agent');
      expect(localChannelPath('D:\\agents\\two', 'win32')).toMatch(/^\\\\\.\\pipe\\posture-agent-[0-9a-f]{12}$/);
    } finally {
      if (pd === undefined) delete process.env.ProgramData;
      else process.env.ProgramData = pd;
    }
  });

  it('`npm run agent -- status` finds the agent `npm start` runs (data/local-agent)', () => {
    const data = mkdtempSync(join(tmpdir(), 'posture-data-'));
    const env = { npm_package_name: 'posture', POSTURE_DATA_DIR: data };
    const cands = stateDirCandidates(env, 'linux', false);
    expect(cands[0]).toBe(join(data, 'local-agent'));
    expect(cands.at(-1)).toBe('/var/lib/posture-agent');
    expect(stateDirCandidates({}, 'linux', false)).not.toContain(join(data, 'local-agent'));
    const saved = process.env.POSTURE_AGENT_DIR;
    delete process.env.POSTURE_AGENT_DIR;
    try {
      // Nothing anywhere yet: the first candidate (for the "not enrolled" words).
      expect(locateStateDir(undefined, cands.slice(1))).toBe(cands[1]);
      mkdirSync(join(data, 'local-agent'));
      writeFileSync(join(data, 'local-agent', 'agent.json'), '{}');
      expect(locateStateDir(undefined, cands)).toBe(join(data, 'local-agent'));
      expect(locateStateDir('/explicit', cands)).toBe('/explicit');
    } finally {
      if (saved !== undefined) process.env.POSTURE_AGENT_DIR = saved;
    }
  });
});

describe('client', () => {
  it('says "absent", "timeout" or the agent’s answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'posture-sock-'));
    expect(await askAgent(join(dir, 'none.sock'), { v: 1, type: 'status' })).toMatchObject({ kind: 'none', why: 'absent' });
    const path = join(dir, 'a.sock');
    const srv = createServer((s) => s.on('data', () => s.write('{"v":1,"ok":false,"code":"forbidden","error":"no"}\n')));
    await new Promise<void>((r) => srv.listen(path, r));
    expect(await askAgent(path, { v: 1, type: 'open' })).toEqual({ kind: 'answer', response: { v: 1, ok: false, code: 'forbidden', error: 'no' } });
    const silent = createServer(() => {});
    const p2 = join(dir, 'b.sock');
    await new Promise<void>((r) => silent.listen(p2, r));
    expect(await askAgent(p2, { v: 1, type: 'status' }, 300)).toMatchObject({ kind: 'none', why: 'timeout' });
    await new Promise((r) => srv.close(r));
    silent.close();
  });
});

describe('offline status view', () => {
  it('with kept verdicts but no local results yet: the kept rows, aged, deadline turned overdue', () => {
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const kept = {
      v: 1 as const, receivedAt: new Date(Date.now() - 7_200_000).toISOString(), deviceId: 'd',
      state: { device: { id: 'd', state: 'failing', nextDeadline: past, lastReportAt: null }, serverTime: '', checks: [
        { id: 'firewall', title: 'Firewall', state: 'excluded', summary: 'Excluded by IT', deadline: null, collectedAt: null, remediation: { steps: [], url: null } },
        { id: 'usb_storage', title: 'USB storage control', state: 'failing', summary: 'allowed', deadline: past, collectedAt: null, remediation: { steps: ['Block it.'], url: null } },
      ] },
    };
    const v = buildStatusView({ deviceId: 'd', server: 's' }, null, null, new Date(), { kept, problem: 'cannot reach the collector at s (no network)' });
    expect(v).toMatchObject({ state: 'noncompliant', source: 'local', verdictsFrom: kept.receivedAt, collectorUnreachable: { since: kept.receivedAt } });
    expect(v.checks.map((c) => [c.id, c.state])).toEqual([['usb_storage', 'noncompliant'], ['firewall', 'excluded']]);
  });
});
