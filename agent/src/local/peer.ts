/**
 * Who is on the other end of a local-channel connection, and what they may ask for.
 *
 * Linux: Node exposes no SO_PEERCRED, so the agent asks the kernel's socket diagnostics
 * through `ss -xpn` (sock_diag): our accepted socket's inode (/proc/self/fd/N →
 * socket:[INODE]) → its peer inode → the process(es) holding the peer → their real uid
 * (/proc/PID/status). As root the agent sees every process; an agent running as a normal
 * user sees only its own user's, so other users stay unidentified and are refused.
 * macOS and Windows: not implemented (uid null); access rests on the socket's file mode
 * or the pipe's default ACL, and the agent log says "peer unverified".
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { RunFn } from '../exec/runner.js';

/** The peer as established: uid null when it could not be (reason says why). */
export interface Peer {
  uid: number | null;
  pid: number | null;
  reason: string | null;
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
 * Pure: from `ss -xpnH` output, the pids holding the peer of the socket with inode
 * `inode`. Each line ends "<local inode> <peer address> <peer inode> [users:((…pid=N…))]".
 */
export function peerPidsFromSs(out: string, inode: number): { peerInode: number | null; pids: number[] } {
  let peerInode: number | null = null;
  const rows = out.split('\n').map((line) => /\s(\d+)\s+\S+\s+(\d+)(?:\s+(users:\(.*\)))?\s*$/.exec(line)).filter((m): m is RegExpExecArray => !!m);
  for (const m of rows) if (Number(m[1]) === inode) peerInode = Number(m[2]);
  if (peerInode === null) return { peerInode: null, pids: [] };
  const pids = new Set<number>();
  for (const m of rows) if (Number(m[1]) === peerInode && m[3]) for (const p of m[3].matchAll(/pid=(\d+)/g)) pids.add(Number(p[1]));
  return { peerInode, pids: [...pids] };
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

/** Establish the peer of an accepted connection (Linux), or say why not. */
export async function identifyPeer(sock: Socket, run: RunFn, platform: string = process.platform): Promise<Peer> {
  if (platform !== 'linux') return { uid: null, pid: null, reason: `peer credentials are not checked on ${platform}` };
  const inode = socketInode(sock);
  if (inode === null) return { uid: null, pid: null, reason: 'cannot find the connection’s socket inode' };
  const r = await run('ss', ['-xpnH'], { timeoutMs: 5000, maxBytes: 8_000_000 });
  if (!r.ok) return { uid: null, pid: null, reason: `ss failed (${r.error ?? 'error'})` };
  const { peerInode, pids } = peerPidsFromSs(r.stdout, inode);
  if (peerInode === null) return { uid: null, pid: null, reason: 'the connection is not in the kernel’s socket list' };
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

/**
 * Who may get what. `status`: any identified local user (it shows only this device's own
 * posture, which every user of the machine is meant to see). `open` and `check-now`: root,
 * the agent's own uid, and people's accounts (uid ≥ UID_MIN, not nobody); system accounts
 * (a compromised daemon such as www-data) are refused. Unidentified peers are refused on
 * Linux; elsewhere the uid is not checked (see the module comment).
 */
export function mayAsk(type: 'status' | 'open' | 'check-now', peer: Peer, o: { platform?: string; selfUid?: number | null; uidMin?: number } = {}): { ok: true } | { ok: false; why: string } {
  const platform = o.platform ?? process.platform;
  if (peer.uid === null) return platform === 'linux' ? { ok: false, why: `the agent could not establish who is asking (${peer.reason ?? 'unknown'}), so it answers nobody it cannot identify` } : { ok: true };
  if (type === 'status') return { ok: true };
  const selfUid = o.selfUid === undefined ? (process.getuid?.() ?? null) : o.selfUid;
  if (peer.uid === 0 || peer.uid === selfUid) return { ok: true };
  if (peer.uid >= (o.uidMin ?? loginUidMin()) && peer.uid !== NOBODY_UID) return { ok: true };
  return { ok: false, why: `uid ${peer.uid} is a system account; device links are given to people's accounts only` };
}
