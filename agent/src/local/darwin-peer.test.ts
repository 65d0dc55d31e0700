import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identifyDarwinPeer, parseLsofF0, parsePsUids, peerPidsFromLsof } from './darwin-peer.js';
import type { RunFn, RunResult } from '../exec/runner.js';

/**
 * `lsof -nP -U -F0pftdn` as macOS prints it. Shape from lsof's own sources: -F0 ends each
 * field with NUL and each process/file set with NL (lsof(8) "OUTPUT FOR OTHER PROGRAMS",
 * and the real Linux run below); for a Unix socket the DEVICE (`d`) is the pcb address
 * (print_kptr: 0x + 16 hex) and the NAME (`n`) is the bound path, or `->0x<connected pcb>`
 * for an unbound socket (lib/dialects/darwin/dsock.c). The agent (pid 400) listens on
 * /Library/Application Support/Posture/agent.sock and accepted fd 9 from alice's
 * `posture-agent status` (pid 812, unbound socket fd 3).
 */
const SOCK = '/Library/Application Support/Posture/agent.sock';
const set = (...fields: string[]) => fields.map((f) => f + '\0').join('') + '\n';
const DARWIN = [
  set('p1'),
  set('f3', 'tunix', 'd0x8d1b7b4c8b6e5a0f', 'n/var/run/syslog'),
  set('p400'),
  set('f7', 'tunix', 'd0x8d1b7b4c8b6e7e2f', `n${SOCK}`),
  set('f9', 'tunix', 'd0x8d1b7b4c8b6e91cf', `n${SOCK}`),
  set('p812'),
  set('f3', 'tunix', 'd0x8d1b7b4c8b6e843f', 'n->0x8d1b7b4c8b6e91cf'),
  set('p901'),
  set('f4', 'tunix', 'd0x8d1b7b4c8b6e3a1f', 'n->(none)'),
].join('');

describe('macOS peer through lsof (pure parts)', () => {
  it('finds the process holding the other end of our accepted socket', () => {
    const files = parseLsofF0(DARWIN)!;
    expect(files).toHaveLength(5);
    expect(files[2]).toEqual({ pid: 400, fd: '9', type: 'unix', device: '0x8d1b7b4c8b6e91cf', name: SOCK });
    expect(peerPidsFromLsof(files, 400, 9)).toEqual({ pids: [812] });
    // The listener has no peer row; an fd that is not ours or not a socket: no answer.
    expect(peerPidsFromLsof(files, 400, 7)).toMatchObject({ why: expect.stringContaining('no process') });
    expect(peerPidsFromLsof(files, 400, 11)).toMatchObject({ why: expect.stringContaining('not (unambiguously)') });
  });

  it('a name with newlines cannot start a forged row; only NUL ends a field', () => {
    // nobody (pid 666) binds its client socket to a path that, split on newlines, would read
    // "p1 / f3 / n->0x<our pcb>": with -F0 it is one name field of pid 666, not a row of pid 1.
    const forged = DARWIN + set('p666') + set('f5', 'tunix', 'd0x8d1b7b4c8b6e0001', 'n/tmp/x\np1\nf3\ntunix\nn->0x8d1b7b4c8b6e91cf');
    const files = parseLsofF0(forged)!;
    expect(files.filter((f) => f.pid === 1)).toHaveLength(1); // only the real syslog row
    expect(files.at(-1)).toMatchObject({ pid: 666, name: '/tmp/x\np1\nf3\ntunix\nn->0x8d1b7b4c8b6e91cf' });
    expect(peerPidsFromLsof(files, 400, 9)).toEqual({ pids: [812] });
    // A client bound to a path that *is* "->0x<our pcb>" is listed as a holder: its own pid,
    // so its own uid; with the genuine holder of another uid the answer is "several users".
    const claim = parseLsofF0(DARWIN + set('p666') + set('f5', 'tunix', 'd0x8d1b7b4c8b6e0001', 'n->0x8d1b7b4c8b6e91cf'))!;
    expect(peerPidsFromLsof(claim, 400, 9)).toEqual({ pids: [812, 666] });
    // Not the -F0 shape: refused, not guessed.
    expect(parseLsofF0('COMMAND PID USER FD TYPE DEVICE\nlaunchd 1 root 3u unix 0x8d1b 0t0 ->0x8d1c\n')).toBeNull();
    expect(parseLsofF0('f3\0tunix\0\n')).toBeNull(); // a file before any process
  });

  it('ps uids: numbers only; a setuid holder is visible as real ≠ effective', () => {
    expect(parsePsUids('  812   501   501\n  666   -2 0\n')).toBeNull();
    expect(parsePsUids('  812   501   501\n  913   501     0\n')).toEqual(
      new Map([
        [812, { ruid: 501, uid: 501 }],
        [913, { ruid: 501, uid: 0 }],
      ]),
    );
  });
});

describe('macOS identification glue (a real accepted socket; lsof and ps answers in the macOS shape)', () => {
  it('the connecting uid, or a refusal for setuid holders, several users, and failed tools', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'darwin-glue-'));
    const path = join(dir, 's.sock');
    const accepted: Socket[] = [];
    const srv = createServer((s) => void accepted.push(s));
    await new Promise<void>((r) => srv.listen(path, r));
    const c = connect(path);
    await new Promise((r) => c.on('connect', r));
    while (!accepted.length) await new Promise((r) => setTimeout(r, 10));
    const fd = (accepted[0] as unknown as { _handle: { fd: number } })._handle.fd;
    const rows = (holders: string) =>
      set(`p${process.pid}`) + set(`f${fd}`, 'tunix', 'd0x8d1b7b4c8b6e91cf', `n${path}`) + holders;
    const asked: string[] = [];
    const runner = (lsof: string, ps: string, lsofOk = true): RunFn =>
      (async (name: string, args: string[]) => {
        asked.push(`${name} ${args.join(' ')}`);
        const out = name === 'lsof' ? lsof : ps;
        return { ok: name === 'lsof' ? lsofOk : true, code: 0, stdout: out, stderr: '', error: null, command: name } satisfies RunResult;
      }) as RunFn;
    try {
      const one = set('p812') + set('f3', 'tunix', 'd0x8d1b7b4c8b6e843f', 'n->0x8d1b7b4c8b6e91cf');
      expect(await identifyDarwinPeer(accepted[0]!, runner(rows(one), '  812   501   501\n'))).toEqual({ uid: 501, pid: 812, reason: null });
      expect(asked).toEqual(['lsof -nP -U -F0pftdn', 'ps -o pid=,ruid=,uid= -p 812']);
      // A setuid program holding the socket: real 501, effective 0 → no answer (never "root").
      expect(await identifyDarwinPeer(accepted[0]!, runner(rows(one), '  812   501     0\n'))).toMatchObject({ uid: null, reason: expect.stringContaining('effective uid 0') });
      const two = one + set('p913') + set('f4', 'tunix', 'd0x8d1b7b4c8b6e0001', 'n->0x8d1b7b4c8b6e91cf');
      expect(await identifyDarwinPeer(accepted[0]!, runner(rows(two), '  812   501   501\n  913     0     0\n'))).toMatchObject({ uid: null, reason: expect.stringContaining('several users') });
      expect(await identifyDarwinPeer(accepted[0]!, runner('', '', false))).toMatchObject({ uid: null, reason: expect.stringContaining('lsof failed') });
      expect(await identifyDarwinPeer(accepted[0]!, runner(rows(''), ''))).toMatchObject({ uid: null, reason: expect.stringContaining('no process') });
    } finally {
      c.destroy();
      for (const s of accepted) s.destroy();
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(spawnSync('lsof', ['-v']).status !== 0)('lsof -F0 framing on the real (Linux) lsof', () => {
  it('our own accepted socket is found by pid and fd in real lsof -F0 output, with a kernel address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lsof-f0-'));
    // A hostile-looking path: a newline and field letters (Linux lsof prints it cut at the newline).
    const path = join(dir, 'a\np1\nf3.sock');
    const accepted: Socket[] = [];
    const srv = createServer((s) => void accepted.push(s));
    await new Promise<void>((r) => srv.listen(path, r));
    const c = connect(path);
    await new Promise((r) => c.on('connect', r));
    while (!accepted.length) await new Promise((r) => setTimeout(r, 10));
    try {
      const fd = (accepted[0] as unknown as { _handle: { fd: number } })._handle.fd;
      const r = spawnSync('lsof', ['-nP', '-a', '-U', '-p', String(process.pid), '-F0pftdn'], { encoding: 'utf8' });
      const files = parseLsofF0(r.stdout);
      expect(files, r.stdout).not.toBeNull();
      const mine = files!.filter((f) => f.fd === String(fd));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ pid: process.pid, type: 'unix', device: expect.stringMatching(/^0x[0-9a-f]{16}$/) });
      expect(files!.every((f) => f.pid === process.pid)).toBe(true);
      // Linux lsof names peers differently (no "->0x"): the peer step is macOS-only, so no answer here.
      expect(peerPidsFromLsof(files!, process.pid, fd)).toMatchObject({ why: expect.any(String) });
    } finally {
      c.destroy();
      for (const s of accepted) s.destroy();
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
