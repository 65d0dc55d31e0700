/**
 * Compose a running collector: database, migrations, identity, policy, ingest, socket
 * gateway, HTTP app and background jobs; and take it down gracefully.
 */
import { agentPoliciesFor, agentPolicyFor } from './groups/agent-policy.js';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { CollectorConfig } from './config/env.js';
import { openDb } from './db/open.js';
import { migrate } from './db/migrate.js';
import { isDbUnavailable, type Db } from './db/types.js';
import { loadIdentity, refreshSigningKey } from './meta/collector-identity.js';
import { COLLECTOR_KEY_CHANNEL } from './meta/collector-keys.js';
import { PolicyStore } from './policy/store.js';
import { DeviceKeyCache } from './gateway/device-keys.js';
import { Hub } from './gateway/hub.js';
import { Presence } from './gateway/presence.js';
import { IngestBatcher } from './ingest/batcher.js';
import { VerifyPool } from './ingest/verify-pool.js';
import { Projector } from './projector/projector.js';
import { ProjectorThread } from './projector/thread.js';
import { RecentPayloads } from './projector/payload-cache.js';
import { Metrics } from './metrics/metrics.js';
import { buildApp } from './app.js';
import { attachSocketServer } from './gateway/socket-server.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import { alertKinds, startJobs } from './jobs/scheduler.js';
import { WebhookRegistry } from './alerts/registry.js';
import { CLOSE } from '#shared/protocol/messages.js';
import { COLLECTOR_VERSION } from './version.js';
import type { Ctx } from './context.js';
import pino from 'pino';
import { lifecycleTableWarning } from '#shared/lifecycle/table.js';

export interface RunningCollector {
  url: string;
  port: number;
  db: Db;
  ctx: Ctx;
  boot: BootstrapResult;
  /** Derives state from the report log; `catchUp()` applies everything stored so far. */
  projector: Projector;
  /** Graceful: stop accepting, let agents know when to come back, finish commits, exit. */
  close(): Promise<void>;
}

export async function startCollector(config: CollectorConfig, opts: { logger?: boolean | object } = {}): Promise<RunningCollector> {
  const startedAt = Date.now();
  const log = pino({ level: config.logLevel, ...(opts.logger === false ? { enabled: false } : {}) });
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.dbPoolMax });
  // A collector that starts before its database (boot order, failover) waits instead of crash-looping.
  for (let attempt = 0; ; attempt++) {
    try {
      await migrate(db);
      break;
    } catch (e) {
      if (!isDbUnavailable(e) || Date.now() - startedAt > config.dbWaitSec * 1000) throw e;
      log.warn({ err: (e as Error).message }, 'database unavailable at start; waiting for it');
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
    }
  }
  const identity = await loadIdentity(db);
  // Another collector (or the local operator command) rotated the evidence key: sign with the new one.
  const unlistenKey = await db.listen(COLLECTOR_KEY_CHANNEL, () => void refreshSigningKey(db, identity).catch(() => {}));
  const policy = new PolicyStore(db, config.policyFile, log);
  await policy.start();
  // patch_level dates end of support from this table: say so when it needs a review.
  const lifecycleWarning = lifecycleTableWarning(new Date());
  if (lifecycleWarning) log.warn(lifecycleWarning);
  const keys = new DeviceKeyCache(db);
  const hub = new Hub(db, keys, CLOSE.revoked);
  await hub.start();
  const presence = new Presence(db, { log });
  await presence.start();
  const metrics = new Metrics();
  const payloads = new RecentPayloads();
  const webhooks = new WebhookRegistry(db, policy, { webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret });
  await webhooks.refresh();
  const projector = new Projector(db, policy, {
    alertOn: () => alertKinds(webhooks),
    cache: payloads,
    onProjected: (lags) => metrics.reportsProjected(lags),
    log,
  });
  // The projector on its own thread and pool (PostgreSQL only; PGlite lives in this thread).
  const projectorThread =
    config.projector && config.projectorThread && config.databaseUrl
      ? new ProjectorThread({ databaseUrl: config.databaseUrl, policy: () => policy.policy, alertOn: () => alertKinds(webhooks), onProjected: (lags) => metrics.reportsProjected(lags), log })
      : null;
  if (config.projectorThread && !projectorThread && config.projector) log.warn('POSTURE_PROJECTOR_THREAD needs PostgreSQL (DATABASE_URL); the projector runs in the main thread');
  const batcher = new IngestBatcher(db, {
    onCommitted: (n) => metrics.batchCommitted(n),
    onStored: (stored) => {
      if (!config.projector) return;
      if (projectorThread) return projectorThread.wake();
      for (const r of stored) payloads.put(r.payload.reportId, r.payload);
      projector.wake();
    },
    log,
  });
  if (projectorThread) {
    projectorThread.start();
    policy.onChange((p) => projectorThread.policyChanged(p));
  } else if (config.projector) projector.start();
  const verifyPool = config.verifyWorkers > 0 ? new VerifyPool(config.verifyWorkers, { log }) : null;
  const https = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const ctxBase = { db, config, identity, policy, hub, keys, batcher, metrics, webhooks, version: COLLECTOR_VERSION };
  const { app, refusals } = await buildApp(ctxBase, { logger: opts.logger === false ? false : { level: config.logLevel }, https });
  const ctx: Ctx = { ...ctxBase, log: app.log, refusals };
  const sockets = attachSocketServer(app.server as Server, identity.collectorId, {
    db, keys, hub, batcher, log: app.log, metrics, presence,
    ...(verifyPool ? { verify: (info, id, jws) => verifyPool.verify(info, id, jws) } : {}),
    // The device's own policy: its groups' overrides (interval, thresholds) included.
    welcome: async (deviceId: string) => ({ type: 'welcome', deviceId, serverTime: new Date().toISOString(), policy: await agentPolicyFor(db, policy, deviceId) }),
  });
  policy.onChange(() => {
    // Tell connected agents about new intervals/thresholds, each with its groups' overrides.
    const conns = [...hub.connections()];
    void (async () => {
      const byId = await agentPoliciesFor(db, policy, conns.map((c) => c.deviceId)).catch(() => new Map());
      const p = policy.agentPolicy();
      for (const c of conns) c.send({ type: 'command', commandId: `pol_${Date.now()}`, command: 'policy-update', policy: byId.get(c.deviceId) ?? p });
    })();
  });
  // Alert text links to the device page: under POSTURE_PUBLIC_URL, else the address we listen on.
  let linkBase: string | undefined = config.publicUrl;
  const stopJobs = startJobs(db, policy, { intervalMs: config.jobIntervalMs, webhooks, publicUrl: () => linkBase, log: app.log });
  await app.listen({ port: config.port, host: config.host });
  // Credentials are created only once the server listens (issue 18 #10): a start that fails on a
  // busy port must not create a one-time token nobody saw.
  const boot = await bootstrap(db, { adminToken: config.adminToken, enrollSecret: config.enrollSecret });
  for (const n of boot.notices) log.warn(n);
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const scheme = https ? 'https' : 'http';
  const url = config.publicUrl ?? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  linkBase = url;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      sockets.shutdown(); // refuse new sockets, tell agents when to return (jittered)
      await batcher.drain(); // commit what is in flight; acks go out before sockets close
      await verifyPool?.close();
      await projector.stop(); // what it has not applied stays in the log for the next start
      await projectorThread?.stop();
      await stopJobs();
      await app.close();
      await presence.stop(); // after the sockets are gone: this instance's devices go offline now
      await hub.stop();
      await policy.stop();
      await unlistenKey();
      await db.close();
    })());
  return { url, port, db, ctx, boot, projector, close };
}
