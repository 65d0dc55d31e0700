/**
 * Compose a running collector: database, migrations, identity, policy, ingest, socket
 * gateway, HTTP app and background jobs; and take it down gracefully.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { CollectorConfig } from './config/env.js';
import { openDb } from './db/open.js';
import { migrate } from './db/migrate.js';
import { isDbUnavailable, type Db } from './db/types.js';
import { loadIdentity } from './meta/collector-identity.js';
import { PolicyStore } from './policy/store.js';
import { DeviceKeyCache } from './gateway/device-keys.js';
import { Hub } from './gateway/hub.js';
import { IngestBatcher } from './ingest/batcher.js';
import { Metrics } from './metrics/metrics.js';
import { buildApp } from './app.js';
import { attachSocketServer } from './gateway/socket-server.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import { alertKinds, startJobs } from './jobs/scheduler.js';
import { CLOSE } from '#shared/protocol/messages.js';
import { COLLECTOR_VERSION } from './version.js';
import type { Ctx } from './context.js';
import pino from 'pino';

export interface RunningCollector {
  url: string;
  port: number;
  db: Db;
  ctx: Ctx;
  boot: BootstrapResult;
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
  const boot = await bootstrap(db, { adminToken: config.adminToken, enrollSecret: config.enrollSecret });
  const policy = new PolicyStore(db, config.policyFile, log);
  await policy.start();
  const keys = new DeviceKeyCache(db);
  const hub = new Hub(db, keys, CLOSE.revoked);
  await hub.start();
  const metrics = new Metrics();
  const batcher = new IngestBatcher(db, policy, { alertOn: () => alertKinds(policy), onCommitted: (n) => metrics.batchCommitted(n), log });
  const https = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const ctxBase = { db, config, identity, policy, hub, keys, batcher, metrics, version: COLLECTOR_VERSION };
  const { app, refusals } = await buildApp(ctxBase, { logger: opts.logger === false ? false : { level: config.logLevel }, https });
  const ctx: Ctx = { ...ctxBase, log: app.log, refusals };
  const sockets = attachSocketServer(app.server as Server, identity.collectorId, {
    db, keys, hub, batcher, log: app.log, metrics,
    welcome: (deviceId: string) => ({ type: 'welcome', deviceId, serverTime: new Date().toISOString(), policy: policy.agentPolicy() }),
  });
  policy.onChange(() => {
    // Tell connected agents about new intervals/thresholds.
    const p = policy.agentPolicy();
    for (const c of hub.connections()) c.send({ type: 'command', commandId: `pol_${Date.now()}`, command: 'policy-update', policy: p });
  });
  const stopJobs = startJobs(db, policy, { intervalMs: config.jobIntervalMs, webhookUrl: config.webhookUrl, webhookSecret: config.webhookSecret, publicUrl: config.publicUrl, log: app.log });
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const scheme = https ? 'https' : 'http';
  const url = config.publicUrl ?? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      sockets.shutdown(); // refuse new sockets, tell agents when to return (jittered)
      await batcher.drain(); // commit what is in flight; acks go out before sockets close
      await stopJobs();
      await app.close();
      await hub.stop();
      await policy.stop();
      await db.close();
    })());
  return { url, port, db, ctx, boot, close };
}
