/**
 * Who is on the other end of a local-channel connection, and what they may ask for.
 *
 * Linux: Node exposes no SO_PEERCRED, so the agent asks the kernel's socket diagnostics
 * through `ss -xn src <our path>` (sock_diag): our accepted socket's inode (/proc/self/fd/N →
 * socket:[INODE]) → its peer inode → the process(es) whose /proc/PID/fd holds the peer →
 * their real uid (/proc/PID/status). As root the agent sees every process; an agent running as a normal
 * user sees only its own user's, so other users stay unidentified and are refused.
 * macOS: the same question asked of lsof (darwin-peer.ts). Windows: the pipe cannot tell,
 * so each request proves its sender with a secret only that user can read (proof/).
 * Whoever cannot be established is refused on every platform.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { RunFn } from '../exec/runner.js';
import { identifyDarwinPeer } from './darwin-peer.js';

/**
 * The peer as established: uid null when it could not be (reason says why). Where the
 * secret-file proof identifies the sender (Windows), `principal` is its SID and uid is null.
 */
export interface Peer {
  uid: number | null;
  pid: number | null;
  reason: string | null;
  /** The SID (or other principal id) proven by a secret-file proof; absent for kernel-identified peers. */
  principal?: string;
  /** For logs: the account name of a proven principal. */
  name?: string;
}

/** The key the per-user limits count by: `uid:N` or `sid:S-…`; null for a peer not established. */
export function peerKey(p: Peer): string | null {
  if (p.principal) return `sid:${p.principal}`;
  return p.uid === null ? null : `uid:${p.uid}`;
}

/** The kernel inode of a connected Unix socket of this process, or null. */
export function socketInode(sock: Socket): number | null {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Pure: the peer inode of our accepted socket `inode`, from `ss -xnH src <our socket path>`
 * output (only rows whose local name is our own socket, so no other process's socket name
 * or command name is in the text: those are attacker-controlled — a client may bind its
 * socket to a path with spaces or newlines and name its process anything, which forged
 * whole rows in the former `ss -xpn` parse, attack-local-peer.test.ts). Each row ends
 * "<local inode> * <peer inode>"; a row that does not, or two rows for our inode, is no
 * answer (null).
 */
export function peerInodeFromSs(out: string, inode: number): number | null {
  const found: number[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const m = /\s(\d+)\s+\*\s+(\d+)\s*$/.exec(line);
    if (!m) return null; // not the shape our own rows have: do not guess
    if (Number(m[1]) === inode) found.push(Number(m[2]));
  }
  return found.length === 1 && found[0]! > 0 ? found[0]! : null;
}

/** Escape ss's fnmatch(3) pattern characters so our own path matches only itself. */
export function ssPathPattern(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * Pids whose descriptor table holds the socket with inode `inode`, read from the kernel's
 * /proc/PID/fd/N links ("socket:[INODE]", kernel-formatted, never process-chosen text).
 * A root agent sees every process; a non-root one only its own user's.
 */
export async function socketHolders(inode: number, procRoot = '/proc'): Promise<number[]> {
  const want = `socket:[${inode}]`;
  const pids: number[] = [];
  // Asynchronous on purpose: a scan reads every process's descriptor table (tens of ms on a
  // busy laptop) and must not stall the agent's reporting while a local user asks.
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const fds = await readdir(`${procRoot}/${e}/fd`).catch(() => null); // gone, or not ours to read
    if (!fds) continue;
    for (const fd of fds) {
      if ((await readlink(`${procRoot}/${e}/fd/${fd}`).catch(() => null)) === want) {
        pids.push(Number(e));
        break;
      }
    }
  }
  return pids;
}

/** The real uid of a process from /proc/PID/status, or null. */
export function procUid(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Establish the peer of an accepted connection on our socket `path` (Linux), or say why not.
 * The peer inode comes from sock_diag (`ss`, filtered to our own socket's rows), its holders
 * from /proc; nothing another process can name is parsed.
 */
export async function identifyPeer(sock: Socket, path: string, run: RunFn, platform: string = process.platform): Promise<Peer> {
  if (platform === 'darwin') return identifyDarwinPeer(sock, run);
  if (platform !== 'linux') return { uid: null, pid: null, reason: `the kernel cannot be asked who the peer is on ${platform}` };
  const inode = socketInode(sock);
  if (inode === null) return { uid: null, pid: null, reason: 'cannot find the connection’s socket inode' };
  const r = await run('ss', ['-xnH', 'src', ssPathPattern(path)], { timeoutMs: 5000, maxBytes: 8_000_000 });
  if (!r.ok) return { uid: null, pid: null, reason: `ss failed (${r.error ?? 'error'})` };
  const peerInode = peerInodeFromSs(r.stdout, inode);
  if (peerInode === null) return { uid: null, pid: null, reason: 'the connection is not (unambiguously) in the kernel’s socket list' };
  const pids = await socketHolders(peerInode);
  const uids = new Set(pids.map(procUid));
  // No visible holder (another user's process, seen by a non-root agent), or holders of
  // several users (an inherited descriptor): no single answer, so no answer.
  if (!pids.length) return { uid: null, pid: null, reason: 'the connecting process is not visible to the agent' };
  if (uids.size !== 1 || uids.has(null)) return { uid: null, pid: null, reason: 'the connecting socket is held by processes of several users' };
  return { uid: [...uids][0]!, pid: pids[0]!, reason: null };
}

/** UID_MIN from /etc/login.defs (first uid of a person's account), 1000 by default. */
export function loginUidMin(text?: string): number {
  try {
    const m = /^\s*UID_MIN\s+(\d+)/m.exec(text ?? readFileSync('/etc/login.defs', 'utf8'));
    return m ? Number(m[1]) : 1000;
  } catch {
    return 1000;
  }
}

export const NOBODY_UID = 65534;
/** macOS `nobody` (-2 as an unsigned 32-bit uid). */
export const DARWIN_NOBODY_UID = 4294967294;

/**
 * Who may get what. `status`: any identified local user (it shows only this device's own
 * posture, which every user of the machine is meant to see). `open` and `check-now`: root,
 * the agent's own uid, and people's accounts (uid ≥ UID_MIN, not nobody; on Windows every
 * proven principal, since secrets go to people's profiles only); system accounts (a
 * compromised daemon such as www-data) are refused. Unidentified peers are refused.
 * (`platform` is kept for callers; the rule is the same everywhere since session 4.)
 */
export function mayAsk(type: 'status' | 'open' | 'check-now', peer: Peer, o: { platform?: string; selfUid?: number | null; uidMin?: number } = {}): { ok: true } | { ok: false; why: string } {
  if (peer.principal) return { ok: true };
  if (peer.uid === null) return { ok: false, why: `the agent could not establish who is asking (${peer.reason ?? 'unknown'}), so it answers nobody it cannot identify` };
  if (type === 'status') return { ok: true };
  const selfUid = o.selfUid === undefined ? (process.getuid?.() ?? null) : o.selfUid;
  if (peer.uid === 0 || peer.uid === selfUid) return { ok: true };
  // macOS has no login.defs: people's accounts start at 501, daemons (_www …) are below 500, nobody is -2.
  const darwin = (o.platform ?? process.platform) === 'darwin';
  const min = o.uidMin ?? (darwin ? 501 : loginUidMin());
  if (peer.uid >= min && peer.uid !== NOBODY_UID && peer.uid !== DARWIN_NOBODY_UID) return { ok: true };
  return { ok: false, why: `uid ${peer.uid} is a system account; device links are given to people's accounts only` };
}
