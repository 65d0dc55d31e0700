/**
 * Where the agent keeps its state (config, keys, spool). Per platform, as a system service
 * would; --state-dir or POSTURE_AGENT_DIR override it so several agents can share a machine.
 */
import { homedir } from 'node:os';
import { join, resolve, win32 } from 'node:path';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';

export function defaultStateDir(platform = process.platform, isRoot = process.getuid?.() === 0): string {
  if (platform === 'win32') return join(process.env.ProgramData ?? 'C:\\ProgramData', 'Posture', 'agent');
  if (platform === 'darwin') return isRoot ? '/Library/Application Support/Posture/agent' : join(homedir(), 'Library', 'Application Support', 'Posture', 'agent');
  return isRoot ? '/var/lib/posture-agent' : join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'posture-agent');
}

export function resolveStateDir(flag?: string): string {
  return flag ?? process.env.POSTURE_AGENT_DIR ?? defaultStateDir();
}

export const files = (dir: string) => ({
  config: join(dir, 'agent.json'),
  key: join(dir, 'device-key.jwk'),
  nextKey: join(dir, 'device-key.next.jwk'),
  status: join(dir, 'status.json'),
  spool: join(dir, 'spool'),
  quarantine: join(dir, 'spool-quarantine'),
  lock: join(dir, 'agent.lock'),
  notified: join(dir, 'notified.json'),
  /** An enrollment waiting for an administrator (this machine already had a device). */
  pending: join(dir, 'pending-enrollment.json'),
  pendingKey: join(dir, 'device-key.pending.jwk'),
  /** The last collector verdicts, exclusions and deadlines, for `status` while offline. */
  verdicts: join(dir, 'last-verdicts.json'),
  /** The software list last put into a report, and whether the collector takes lists by hash. */
  softwareSent: join(dir, 'software-sent.json'),
  /** The running agent's local channel: see localChannelPath (outside the 0700 directory). */
  socket: localChannelPath(dir),
});

/**
 * Where the running agent serves its local channel (agent/src/local/, docs/local-channel.md).
 * Unix: not inside the 0700 state directory (other users cannot traverse it). A state
 * directory under /var/lib (the Linux service) → /run/<name>/agent.sock (e.g.
 * /run/posture-agent/agent.sock); any other → the sibling `<stateDir>.sock` (e.g.
 * /tmp/x.sock, ./data/local-agent.sock), which needs only the parent to be traversable. Windows: the named pipe
 * \\.\pipe\posture-agent for the default directory, with a short hash of any other one
 * so several agents on one machine do not collide.
 */
export function localChannelPath(dir: string, platform = process.platform): string {
  if (platform === 'win32') {
    const abs = win32.resolve(dir);
    if (abs.toLowerCase() === win32.resolve(defaultStateDir('win32')).toLowerCase()) return '\\\\.\\pipe\\posture-agent';
    return `\\\\.\\pipe\\posture-agent-${createHash('sha256').update(abs.toLowerCase()).digest('hex').slice(0, 12)}`;
  }
  const abs = resolve(dir).replace(/\/+$/, '');
  // A systemd service may write only its StateDirectory under /var/lib (ProtectSystem=strict):
  // its socket goes to the matching RuntimeDirectory, which the unit creates 0755.
  if (platform === 'linux' && abs.startsWith('/var/lib/')) return `/run/${runtimeDirName(abs)}/agent.sock`;
  return `${abs}.sock`;
}

/** /var/lib/posture-agent → posture-agent (the unit's RuntimeDirectory= name for a state dir under /var/lib). */
export function runtimeDirName(stateDir: string): string {
  return resolve(stateDir).slice('/var/lib/'.length).replace(/\/+$/, '').replace(/\//g, '-');
}

/**
 * The state directories `status` and `open` look at when neither --state-dir nor
 * POSTURE_AGENT_DIR is given, most specific first: the agent `npm start` runs (only when
 * invoked as `npm run agent` in this repository, where npm sets npm_package_name), the
 * user's own agent (non-root), then the system service's.
 */
export function stateDirCandidates(env = process.env, platform = process.platform, isRoot = process.getuid?.() === 0): string[] {
  const out: string[] = [];
  // Run from the repository by npm: the developer means the agent `npm start` runs here.
  if (env.npm_package_name === 'posture') out.push(resolve(env.POSTURE_DATA_DIR || 'data', 'local-agent'));
  out.push(defaultStateDir(platform, isRoot));
  const system = defaultStateDir(platform, true);
  if (!out.includes(system)) out.push(system);
  return out;
}

/**
 * The state directory `status` / `open` use: --state-dir or POSTURE_AGENT_DIR when given,
 * else the first candidate (stateDirCandidates) with a running agent's socket, or with
 * agent.json / a pending enrollment, including one this user may not read (EACCES: the
 * root service's 0700 directory), else the first candidate (for the "not enrolled" words).
 */
export function locateStateDir(flag?: string, candidates = stateDirCandidates()): string {
  const explicit = flag ?? process.env.POSTURE_AGENT_DIR;
  if (explicit) return explicit;
  const present = (p: string) => {
    try {
      statSync(p);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'EACCES' || code === 'EPERM';
    }
  };
  for (const d of candidates) {
    if (process.platform !== 'win32' && present(localChannelPath(d))) return d;
    if (present(join(d, 'agent.json')) || present(join(d, 'pending-enrollment.json'))) return d;
  }
  return candidates[0]!;
}
