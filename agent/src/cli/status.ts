/** `posture-agent status`: the employee's view of this machine (basic; deepened in cli/status-view). */
import { readStatus } from '../runtime/status-file.js';
import { loadConfig } from '../state/config.js';

export async function statusCommand(a: { stateDir: string; json: boolean; whatIsCollected: boolean }): Promise<number> {
  const cfg = loadConfig(a.stateDir);
  const s = readStatus(a.stateDir);
  if (a.json) {
    console.log(JSON.stringify({ deviceId: cfg.deviceId, server: cfg.server, ...s }, null, 2));
  } else {
    console.log(`Device ${cfg.deviceId} → ${cfg.server}`);
    if (!s) console.log('The agent has not run yet.');
    else {
      console.log(`Connection: ${s.revoked ? 'REVOKED — this device was revoked by an administrator; the agent no longer reports' : s.connection}`);
      console.log(`Last check: ${s.lastCycleAt ?? 'never'} · last delivered: ${s.lastAckAt ?? 'never'} · queued reports: ${s.spool.pending}`);
      for (const c of s.checks) console.log(`  ${c.status.toUpperCase().padEnd(7)} ${c.id.padEnd(16)} ${c.summary}`);
    }
  }
  if (s?.revoked) return 4;
  return s?.checks.some((c) => c.status === 'fail') ? 5 : 0;
}
