/**
 * A simulator worker process: enrols (or loads from cache) its slice of agents, connects them
 * with a bounded number of handshakes in flight, and reports stats to the parent every second
 * over IPC. Several workers spread sockets over processes (open-file limit) and over
 * 127.0.0.x source addresses (ephemeral ports per source address).
 */
import { writeFileSync } from 'node:fs';
import { SimAgent, wsUrlOf, type FleetEnv } from './agent.js';
import { appendCache, enrollOne, loadCache, type SimIdentity } from './identity.js';
import { Stats } from './stats.js';

export interface WorkerInit {
  worker: number;
  server: string;
  secret: string;
  audience: string;
  salt: string;
  from: number;
  to: number;
  intervalMs: number;
  reconnectMaxMs: number;
  sourceIps: string[];
  cacheFile: string;
  enrollConcurrency: number;
  connectConcurrency: number;
  recordAcksFile?: string;
  /** Follow the update rollout, checking every this many ms (simulate/updater.ts). */
  updateCheckMs?: number;
  /** Pre-sign this many seconds of interval reports per agent before connecting (SimAgent.presign). */
  presignSec?: number;
}

/** Run fn over items with at most `limit` promises in flight. */
export async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

async function main(init: WorkerInit): Promise<void> {
  const stats = new Stats();
  const send = (m: object) => process.send?.(m);
  const tick = setInterval(() => send({ type: 'stats', worker: init.worker, snap: stats.snapshot() }), 1_000);

  // Enrol what the cache does not have.
  const cache = loadCache(init.cacheFile);
  const ids: SimIdentity[] = [];
  const missing: number[] = [];
  for (let i = init.from; i < init.to; i++) {
    const c = cache.get(i);
    if (c) ids.push(c);
    else missing.push(i);
  }
  stats.enrollCached = ids.length;
  cache.clear();
  let batch: SimIdentity[] = [];
  await pool(missing, init.enrollConcurrency, async (i) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const id = await enrollOne(init.server, init.secret, init.salt, i);
        ids.push(id);
        batch.push(id);
        stats.enrolled++;
        if (batch.length >= 200) {
          appendCache(init.cacheFile, batch);
          batch = [];
        }
        return;
      } catch (e) {
        stats.error((e as Error).message.slice(0, 60));
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  });
  appendCache(init.cacheFile, batch);
  send({ type: 'enrolled', worker: init.worker, count: ids.length });

  const env: FleetEnv = { wsUrl: wsUrlOf(init.server), audience: init.audience, intervalMs: init.intervalMs, reconnectMaxMs: init.reconnectMaxMs, stats, ackedIds: init.recordAcksFile ? [] : undefined,
    ...(init.updateCheckMs ? { update: { base: init.server, checkMs: init.updateCheckMs } } : {}) };
  ids.sort((a, b) => a.i - b.i);
  const agents = ids.map((id) => new SimAgent(id, env, init.sourceIps.length ? init.sourceIps[id.i % init.sourceIps.length] : undefined));
  send({ type: 'devices', worker: init.worker, ids: ids.map((x) => x.deviceId) });
  if (init.presignSec) {
    // Before the first connect, so the signing CPU is spent before any measurement starts.
    const t0 = performance.now();
    const n = Math.ceil((init.presignSec * 1000) / init.intervalMs) + 2;
    for (const a of agents) a.presign(n);
    // Connect only when every worker has finished signing (the parent's `go`): a worker that
    // finished first would otherwise spend its queue while the others are still signing.
    const go = new Promise<void>((res) => process.on('message', (m: { cmd?: string }) => m.cmd === 'go' && res()));
    send({ type: 'presigned', worker: init.worker, reports: n * agents.length, ms: Math.round(performance.now() - t0) });
    await go;
  }
  await pool(agents, init.connectConcurrency, (a) => a.connect());
  send({ type: 'ramped', worker: init.worker });

  process.on('message', async (m: { cmd?: string }) => {
    if (m.cmd !== 'stop') return;
    for (const a of agents) a.stop();
    // Give close handshakes and last acks a moment.
    const deadline = Date.now() + 5_000;
    while (stats.connected > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (init.recordAcksFile && env.ackedIds) writeFileSync(init.recordAcksFile, env.ackedIds.join('\n'));
    clearInterval(tick);
    send({ type: 'final', worker: init.worker, snap: stats.snapshot() });
    setTimeout(() => process.exit(0), 200);
  });
}

process.once('message', (m: { cmd?: string; init?: WorkerInit }) => {
  if (m.cmd === 'init' && m.init)
    main(m.init).catch((e) => {
      console.error(`simulator worker ${m.init!.worker} failed:`, e);
      process.exit(1);
    });
});
process.on('disconnect', () => process.exit(0));
