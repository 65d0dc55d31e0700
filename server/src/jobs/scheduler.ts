/**
 * Background jobs that must run once across the fleet, however many collectors share the
 * database: each run takes a transaction-level advisory lock and skips if another holds it.
 */
import type { Db } from '../db/types.js';
import type { PolicyStore } from '../policy/store.js';
import { markStale } from './stale.js';
import { deliverAlerts } from '../alerts/worker.js';
import type { WebhookRegistry } from '../alerts/registry.js';
import { applyDeadlines } from './deadlines.js';
import { runRetention } from '../retention/prune.js';

const DAY_MS = 86_400_000;
/** How long after start the first retention run waits (then daily). */
export const RETENTION_FIRST_RUN_DELAY_MS = 10 * 60_000;

const LOCKS = { stale: 7362101, alerts: 7362102, cleanup: 7362103, deadlines: 7362104 };

/** The transitions that write an alert: the policy's `alerts.on` plus every enabled webhook's events (alerts/registry.ts). */
export function alertKinds(webhooks: WebhookRegistry): string[] {
  return webhooks.events();
}

/**
 * Start the periodic jobs. `publicUrl` is asked at each run (the listening address is known
 * only after start) so that alert text can link to the device page.
 */
export function startJobs(
  db: Db,
  policy: PolicyStore,
  opts: { intervalMs: number; webhooks: WebhookRegistry; publicUrl: () => string | undefined; log: { warn: (o: object, m: string) => void } },
): () => Promise<void> {
  const kinds = () => alertKinds(opts.webhooks);
  let running: Promise<void> | null = null;
  // Retention first runs 10 minutes after start, not at boot: a restart (or a crash loop) does
  // not add the day's heaviest job to start-up, and then it runs daily.
  let lastPrune = Date.now() - DAY_MS + RETENTION_FIRST_RUN_DELAY_MS;
  const once = async (lock: number, fn: (q: Parameters<Parameters<Db['tx']>[0]>[0]) => Promise<unknown>) => {
    await db.tx(async (q) => {
      const got = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [lock]);
      if (got.rows[0]?.ok) await fn(q);
    });
  };
  const tick = async () => {
    try {
      // Webhooks added on another collector sharing this database take effect here within one run.
      await opts.webhooks.refresh();
      const groupStale = (policy.policy.groups ?? []).filter((g) => g.staleAfterHours !== undefined).map((g) => ({ name: g.name, hours: g.staleAfterHours! }));
      await once(LOCKS.stale, (q) => markStale(q, policy.policy.staleAfterHours, kinds(), new Date(), groupStale));
      await once(LOCKS.deadlines, (q) => applyDeadlines(q, policy.policy, kinds()));
      await once(LOCKS.alerts, (q) => deliverAlerts(q, opts.webhooks.targets(), opts.publicUrl()));
      await once(LOCKS.cleanup, (q) => q.query('DELETE FROM token_jtis WHERE expires_at < now()'));
      // Retention, daily per process (its lease makes it once a day across collectors): month
      // partitions ahead, digests, then reports, state events and the audit log (retention/prune.ts).
      if (Date.now() - lastPrune >= DAY_MS) {
        lastPrune = Date.now();
        await runRetention(db, policy.policy);
      }
    } catch (e) {
      opts.log.warn({ err: (e as Error).message }, 'background job failed; will retry');
    }
  };
  const timer = setInterval(() => {
    if (!running) running = tick().finally(() => (running = null));
  }, opts.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
