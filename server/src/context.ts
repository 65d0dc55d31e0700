import type { FastifyBaseLogger } from 'fastify';
import type { CollectorConfig } from './config/env.js';
import type { Db } from './db/types.js';
import type { CollectorIdentity } from './meta/collector-identity.js';
import type { PolicyStore } from './policy/store.js';
import type { Hub } from './gateway/hub.js';
import type { DeviceKeyCache } from './gateway/device-keys.js';
import type { IngestBatcher } from './ingest/batcher.js';
import type { Metrics } from './metrics/metrics.js';
import type { RefusalAudit } from './audit/aggregate.js';
import type { WebhookRegistry } from './alerts/registry.js';

/** What every domain plugin is given: typed dependencies passed in, not imported globals. */
export interface Ctx {
  db: Db;
  config: CollectorConfig;
  identity: CollectorIdentity;
  policy: PolicyStore;
  hub: Hub;
  keys: DeviceKeyCache;
  batcher: IngestBatcher;
  metrics: Metrics;
  log: FastifyBaseLogger;
  version: string;
  /** Alert webhooks in force (stored + environment entry) and the events they want. */
  webhooks: WebhookRegistry;
  /** One audit row per source per minute for refused unauthenticated attempts (audit/aggregate.ts). */
  refusals: RefusalAudit;
}
