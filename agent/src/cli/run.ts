/** `posture-agent run`: the long-running agent (foreground; the service manager supervises it). */
import { join } from 'node:path';
import { AgentRuntime } from '../runtime/agent.js';
import { childCycleRunner } from '../runtime/child-cycle.js';
import type { CycleRunner } from '../runtime/agent.js';
import { Notifier } from '../notify/notifier.js';
import { acquireRunLock } from '../state/lock.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { UpdateController } from '../update/controller.js';
import { trialFile, updateDir, readUpdateState, writeUpdateState } from '../update/updater.js';
import { AGENT_VERSION } from '../version.js';
import { existsSync } from 'node:fs';
import { files, localChannelPath } from '../state/paths.js';
import { LocalChannelServer, LocalRefusal } from '../local/server.js';
import { defaultRunner } from '../exec/runner.js';
import { computeStatusView } from './status.js';
import { readStatus } from '../runtime/status-file.js';
import { LINK_LIFETIME_SEC, myDeviceLink } from '../notify/link.js';
import { readPending, resolvePending } from '../identity/pending.js';
import { ProofStore } from '../local/proof/store.js';
import { icaclsGrant, listProfiles } from '../local/proof/win32.js';
import { proofRoot } from '../local/proof/client-key.js';

/** How often a pending install asks whether IT decided (POSTURE_PENDING_POLL_MS overrides, ≥ 1 s). */
const PENDING_POLL_MS = Math.max(1000, Number(process.env.POSTURE_PENDING_POLL_MS) || 60_000);

/** Minimum time between two `check-now` requests from local users. */
const LOCAL_CHECK_COOLDOWN_MS = 60_000;

/** Serve the local channel; a failure to listen is logged, not fatal (reporting matters more). */
async function startLocalChannel(stateDir: string, agent: () => AgentRuntime, log: (l: 'info' | 'warn' | 'error', m: string, e?: object) => void): Promise<LocalChannelServer | null> {
  let lastCheck = 0;
  const run = defaultRunner().run;
  // Windows: the pipe cannot tell who connects; each user proves it with a secret only they can read.
  const proof = process.platform === 'win32' ? new ProofStore({ root: proofRoot(stateDir), grant: icaclsGrant(run), principals: () => listProfiles(run), log }) : undefined;
  const server = new LocalChannelServer({
    path: localChannelPath(stateDir),
    log,
    run,
    proof,
    handlers: {
      status: () => computeStatusView(stateDir),
      open: async () => {
        if (readStatus(stateDir)?.revoked) throw new LocalRefusal('revoked', 'an administrator revoked this computer in Posture; it has no device page any more. Ask IT to restore it and re-enroll.');
        const url = await myDeviceLink(stateDir, agent().config);
        return { url, expiresAt: new Date(Date.now() + LINK_LIFETIME_SEC * 1000).toISOString() };
      },
      checkNow: () => {
        const wait = lastCheck + LOCAL_CHECK_COOLDOWN_MS - Date.now();
        if (wait > 0) return { queued: false, detail: `a check ran less than a minute ago; try again in ${Math.ceil(wait / 1000)} s` };
        lastCheck = Date.now();
        agent().trigger('local');
        return { queued: true, detail: 'checks start now; `posture-agent status` shows the results in a minute' };
      },
    },
  });
  try {
    if (proof) {
      await proof.start();
      log('info', `local channel: secrets issued to ${proof.ids().length} local user(s) in ${proofRoot(stateDir)}`);
    }
    await server.start();
    log('info', `local channel on ${localChannelPath(stateDir)}`);
    return server;
  } catch (e) {
    proof?.stop();
    log('warn', `local channel not available (${(e as Error).message}); users need sudo for status and open`);
    return null;
  }
}

/** Resolves with -1 (keep running) and exits the process on SIGINT/SIGTERM after a clean stop. */
export async function runAgent(stateDir: string, o: { trial?: boolean } = {}): Promise<number> {
  let lock = acquireRunLock(stateDir);
  if (!lock.ok) {
    console.error(`posture-agent run: another agent is already running with state in ${stateDir}${lock.pid > 0 ? ` (pid ${lock.pid})` : ''}; stop it first.`);
    return 1;
  }
  if (!existsSync(files(stateDir).config) && readPending(stateDir)) {
    // Enrolled a machine that already had a device: wait for IT's decision, then run.
    for (let first = true; ; first = false) {
      const r = (await resolvePending(stateDir))!;
      if (r.status === 'approved') break;
      if (r.status === 'rejected') {
        console.error(`posture-agent run: IT rejected this installation's enrollment${r.reason ? `: ${r.reason}` : ''}.`);
        lock.release();
        return 1;
      }
      if (first) console.log(`[posture-agent] enrollment ${r.pending.pendingId} is pending approval by IT; waiting${r.status === 'unreachable' ? ` (${r.error})` : ''}`);
      await new Promise((res) => setTimeout(res, PENDING_POLL_MS));
    }
    console.log('[posture-agent] enrollment approved');
  }
  const log = (l: 'info' | 'warn' | 'error', m: string, e?: object) => console[l === 'info' ? 'log' : l](`[posture-agent] ${m}`, e ? JSON.stringify(e) : '');
  // Desktop notifications for failing checks and nearing deadlines (agent/src/notify/).
  const notifier = new Notifier({ stateDir, log });
  const cacheDir = join(stateDir, 'cache');
  // Probes run in a short-lived child by default, so the resident process never loads them
  // (docs/benchmarks.md compares both). POSTURE_CYCLE_IN_PROCESS=1 keeps one process.
  let runCycle: CycleRunner;
  if (process.env.POSTURE_CYCLE_IN_PROCESS === '1') {
    const inProcess = await import('../runtime/cycle.js');
    runCycle = (o) => inProcess.runCycle({ ...o, cacheDir });
  } else runCycle = childCycleRunner({ cacheDir });
  let updates: UpdateController | null = null;
  let agent: AgentRuntime;
  let acked = false;
  const make = () =>
    new AgentRuntime({
      stateDir,
      runCycle,
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
        if (s?.state === 'swapped' && s.to === AGENT_VERSION) agent.updateStatus(writeUpdateState(stateDir, { state: 'committed', from: s.from, to: s.to }));
      },
      onUpdateNow: (commandId) => void updates?.now(commandId),
      // Attempts made while the link was down (a rolled-back trial, a swap and restart) reach
      // the collector with the next connection. Not from a trial: the running agent reports.
      onUpdateStatusAccepted: () => {
        const s = o.trial ? null : readUpdateState(stateDir);
        if (s) agent.updateStatus(s);
      },
    });
  agent = make();
  await agent.start();
  // The machine's users ask this process for status and links (agent/src/local/). Not in
  // an update trial: the running agent keeps the channel.
  const channel = o.trial ? null : await startLocalChannel(stateDir, () => agent, log);
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
        agent.updateStatus(s);
        if (commandId) agent.commandResult(commandId, s.state !== 'refused' && s.state !== 'rolled-back', `${s.state}${s.to ? ` ${s.to}` : ''}${s.reason ? `: ${s.reason}` : ''}`);
      },
    });
    updates.start();
  }
  const stop = async () => {
    await channel?.stop();
    updates?.stop();
    await agent.stop();
    await notifier.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  return -1;
}
