/**
 * macOS: who is on the other end of an accepted connection on the agent's socket. macOS has
 * LOCAL_PEERCRED but Node exposes no getsockopt, so the root agent asks lsof, which reads
 * the kernel's socket table through libproc (proc_pidfdinfo PROC_PIDFDSOCKETINFO).
 *
 * What macOS lsof prints for a Unix socket (lsof-org/lsof lib/dialects/darwin/dsock.c): the
 * DEVICE field (`d` in -F output) is the socket's own protocol control block address
 * (soi_pcb, print_kptr: `0x` + 16 hex digits, a kernel-hashed value); the NAME (`n`) is the
 * bound path when the socket has one, else `->0x<pcb of the socket it is connected to>`
 * (unsi_conn_pcb), or `->(none)`. A client socket that did not bind therefore names our
 * accepted socket's pcb. So: our accepted socket's row (our pid and its fd, kernel values we
 * choose nothing of) gives our pcb; rows whose name is exactly `->` + that pcb are held by
 * the connecting process(es); their real and effective uid come from `ps` (numbers only).
 *
 * Anti-forgery (the S3-1 lesson): the command name is not requested (no `c` field), `-F0`
 * ends every field with NUL, which no path or name can contain, so a newline in a path
 * cannot start a forged row. A client can still bind its socket to a path that reads
 * "->0x…" and so claim to hold our connection, but only from its own processes: every
 * holder's uid must agree (else no answer), and a holder whose real and effective uid differ
 * (a setuid program that inherited the socket) is no answer. A client that binds to any
 * other path is not found at all and is refused. Not run on a real Mac here: the parser is
 * tested on rows shaped after dsock.c, the framing on real (Linux) lsof -F0 output.
 */
import type { Socket } from 'node:net';
import type { RunFn } from '../exec/runner.js';
import type { Peer } from './peer.js';

/** One open file of a process, from `lsof -F0 pftdn`. */
export interface LsofFile {
  pid: number;
  fd: string | null;
  type: string | null;
  device: string | null;
  name: string | null;
}

/**
 * Pure: `lsof -F0` output → files. Fields end with NUL; a process set (`p…`) and each file
 * set (starting `f…`) end with a newline, which is dropped where it follows a NUL. Returns
 * null when the text is not in that shape (a field before any `p`, an unknown framing).
 */
export function parseLsofF0(out: string): LsofFile[] | null {
  const files: LsofFile[] = [];
  let pid: number | null = null;
  let cur: LsofFile | null = null;
  const fields = out.split('\0');
  // The text after the last NUL is the final newline (or nothing).
  if (fields.pop()!.replace(/\n/g, '') !== '') return null;
  for (let raw of fields) {
    // A newline is only ever a set terminator right after a NUL; anything else is field text.
    if (raw.startsWith('\n')) raw = raw.slice(1);
    const id = raw[0];
    const v = raw.slice(1);
    if (id === 'p') {
      if (!/^\d+$/.test(v)) return null;
      pid = Number(v);
      cur = null;
    } else if (id === 'f') {
      if (pid === null) return null;
      cur = { pid, fd: v, type: null, device: null, name: null };
      files.push(cur);
    } else if (id === 't' || id === 'd' || id === 'n') {
      if (!cur) return null;
      if (id === 't') cur.type = v;
      else if (id === 'd') cur.device = v;
      else cur.name = v;
    } else if (id === undefined) {
      return null;
    }
    // Other fields (lsof always adds some, e.g. process-level ones) are ignored.
  }
  return files;
}

const KPTR_RE = /^0x[0-9a-f]{1,16}$/i;

/**
 * Pure: the pids holding the other end of our accepted socket (fd `selfFd` of `selfPid`),
 * or why there is no answer: our own row must be exactly one unix row with a kernel address.
 */
export function peerPidsFromLsof(files: LsofFile[], selfPid: number, selfFd: number): { pids: number[] } | { why: string } {
  const ours = files.filter((f) => f.pid === selfPid && f.fd !== null && f.fd.replace(/[a-zA-Z ]+$/, '') === String(selfFd));
  if (ours.length !== 1 || ours[0]!.type !== 'unix' || !KPTR_RE.test(ours[0]!.device ?? '')) return { why: 'the connection is not (unambiguously) in lsof’s list of the agent’s sockets' };
  const want = `->${ours[0]!.device!.toLowerCase()}`;
  const pids = [...new Set(files.filter((f) => f.type === 'unix' && (f.name ?? '').toLowerCase() === want).map((f) => f.pid))];
  if (!pids.length) return { why: 'no process is listed as holding the other end (a client bound to a path is not identified)' };
  return { pids };
}

/** Pure: `ps -o pid=,ruid=,uid= -p …` → pid → {ruid, uid}; null when a line is not three numbers. */
export function parsePsUids(out: string): Map<number, { ruid: number; uid: number }> | null {
  const m = new Map<number, { ruid: number; uid: number }>();
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const r = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (!r) return null;
    m.set(Number(r[1]), { ruid: Number(r[2]), uid: Number(r[3]) });
  }
  return m;
}

/** The peer of an accepted connection on macOS (root agent), or why not. */
export async function identifyDarwinPeer(sock: Socket, run: RunFn): Promise<Peer> {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { uid: null, pid: null, reason: 'cannot find the connection’s descriptor' };
  const l = await run('lsof', ['-nP', '-U', '-F0pftdn'], { timeoutMs: 10_000, maxBytes: 16_000_000 });
  // lsof exits 1 when some process could not be read; its output is still complete for the rest.
  if (!l.stdout) return { uid: null, pid: null, reason: `lsof failed (${l.error ?? 'no output'})` };
  const files = parseLsofF0(l.stdout);
  if (!files) return { uid: null, pid: null, reason: 'lsof output not in the -F0 shape' };
  const found = peerPidsFromLsof(files, process.pid, fd);
  if ('why' in found) return { uid: null, pid: null, reason: found.why };
  const ps = await run('ps', ['-o', 'pid=,ruid=,uid=', '-p', found.pids.join(',')], { timeoutMs: 5000 });
  const uids = ps.ok ? parsePsUids(ps.stdout) : null;
  if (!uids) return { uid: null, pid: null, reason: `ps failed (${ps.error ?? 'unexpected output'})` };
  const seen = new Set<number>();
  for (const pid of found.pids) {
    const u = uids.get(pid);
    if (!u) return { uid: null, pid: null, reason: `process ${pid} exited before it could be identified` };
    if (u.ruid !== u.uid) return { uid: null, pid: null, reason: `process ${pid} runs with real uid ${u.ruid} but effective uid ${u.uid}` };
    seen.add(u.uid);
  }
  if (seen.size !== 1) return { uid: null, pid: null, reason: 'the connecting socket is held by processes of several users' };
  return { uid: [...seen][0]!, pid: found.pids[0]!, reason: null };
}
