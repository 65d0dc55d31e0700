/**
 * The delivery targets in force: the stored webhooks (cached, because the projector asks
 * "which events alert?" synchronously on every batch) plus the environment/policy entry.
 * Refreshed after every change made here and on every job tick, so a second collector on the
 * same database follows within one job interval.
 */
import type { Db } from '../db/types.js';
import type { PolicyStore } from '../policy/store.js';
import { envTarget, storedTargets, type DeliveryTarget } from './webhooks.js';

export class WebhookRegistry {
  private stored: DeliveryTarget[] = [];

  constructor(
    private readonly db: Db,
    private readonly policy: PolicyStore,
    private readonly env: { webhookUrl?: string; webhookSecret?: string },
  ) {}

  /** Re-read the stored webhooks. */
  async refresh(): Promise<void> {
    this.stored = await storedTargets(this.db);
  }

  /** The environment/policy entry (read-only), or null when none is configured. */
  envTarget(): ReturnType<typeof envTarget> {
    return envTarget(this.env, this.policy.policy.alerts);
  }

  /** Every target a new alert fans out to: the env entry first, then stored webhooks. */
  targets(): DeliveryTarget[] {
    const e = this.envTarget();
    return e ? [e, ...this.stored] : [...this.stored];
  }

  /**
   * The transitions that produce an alert: the policy's `alerts.on` (the env entry's events)
   * and every enabled stored webhook's events.
   */
  events(): string[] {
    return [...new Set([...(this.policy.policy.alerts?.on ?? []), ...this.stored.flatMap((t) => t.events)])];
  }
}
