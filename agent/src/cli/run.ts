/** `posture-agent run`: the long-running agent (foreground; the service manager supervises it). */
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { AgentRuntime } from '../runtime/agent.js';
import { runCycle } from '../runtime/cycle.js';
import { Notifier } from '../notify/notifier.js';
import { acquireRunLock } from '../state/lock.js';
import { UpdateController } from '../update/controller.js';
import { trialFile, updateDir, readUpdateState, writeUpdateState } from '../update/updater.js';
import { AGENT_VERSION } from '../version.js';

type Log = (l: 'info' | 'warn' | 'error', m: string, e?: object) => void;

/**
 * Resolves with -1 (keep running) and exits the process on SIGINT/SIGTERM after a clean stop.
 * `trial`: started by an older agent to prove this version works (agent/src/update/updater.ts):
 * exit 0 after the first acknowledged report, leaving the proof in <state>/update/.
 */
export async function runAgent(stateDir: string, o: { trial?: boolean } = {}): Promise<number> {
  let lock = acquireRunLock(stateDir);
  if (!lock.ok) {
    console.error(`posture-agent run: another agent is already running with state in ${stateDir}${lock.pid > 0 ? ` (pid ${lock.pid})` : ''}; stop it first.`);
    return 1;
  }
  const log: Log = (l, m, e) => console[l === 'info' ? 'log' : l](`[posture-agent] ${m}`, e ? JSON.stringify(e) : '');
  // Desktop notifications for failing checks and nearing deadlines (agent/src/notify/).
  const notifier = new Notifier({ stateDir, log });
  let updates: UpdateController | null = null;
  let agent: AgentRuntime;
  let acked = false;
  const make = () =>
    new AgentRuntime({
      stateDir,
      runCycle: (c) => runCycle({ ...c, cacheDir: join(stateDir, 'cache') }),
      log,
      onCycle: (cycle, cfg) => notifier.onCycle(cycle, cfg),
      onAck: () => {
        if (acked) return;
        acked = true;
        if (o.trial) {
          mkdirSync(updateDir(stateDir), { recursive: true, mode: 0o700 });
          writeFileSync(trialFile(stateDir), JSON.stringify({ version: AGENT_VERSION, pid: process.pid, at: new Date().toISOString() }));
          void agent.stop().then(() => process.exit(0));
          return;
        }
        // First report of a freshly swapped-in version: the update is complete.
        const s = readUpdateState(stateDir);
        if (s?.state === 'swapped' && s.to === AGENT_VERSION) writeUpdateState(stateDir, { state: 'committed', from: s.from, to: s.to });
      },
      onUpdateNow: (commandId) => void updates?.now(commandId),
    });
  agent = make();
  await agent.start();
  console.log(`[posture-agent] ${o.trial ? 'update trial' : 'running'} ${AGENT_VERSION}; checks every ${agent.intervalSec}s; state in ${stateDir}`);
  if (!o.trial) {
    updates = new UpdateController({
      stateDir,
      config: () => agent.config,
      log,
      // The trial needs the device's identity and lock for itself.
      pause: async () => {
        await agent.stop();
        if (lock.ok) lock.release();
      },
      resume: async () => {
        lock = acquireRunLock(stateDir);
        agent = make();
        await agent.start();
      },
      onResult: (s, commandId) => {
        if (commandId) agent.commandResult(commandId, s.state !== 'refused' && s.state !== 'rolled-back', `${s.state}${s.to ? ` ${s.to}` : ''}${s.reason ? `: ${s.reason}` : ''}`);
      },
    });
    updates.start();
  }
  const stop = async () => {
    updates?.stop();
    await agent.stop();
    await notifier.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  return -1;
}
