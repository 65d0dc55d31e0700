/**
 * Where the agent keeps its state (config, keys, spool). Per platform, as a system service
 * would; --state-dir or POSTURE_AGENT_DIR override it so several agents can share a machine.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

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
  /** The running agent's local channel (status and My-device links for the machine's users). */
  socket: join(dir, 'agent.sock'),
});
