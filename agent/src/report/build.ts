/** Run a check cycle and turn it into a signed report payload. */
import type { ReportPayload } from '#shared/protocol/messages.js';
import type { CheckId } from '#shared/checks/ids.js';
import type { CheckResult } from '#shared/checks/result.js';
import type { Inventory } from '#shared/protocol/inventory.js';
import { uuidv7 } from '../identity/uuid7.js';
import { AGENT_VERSION } from '../version.js';

export interface CycleResult {
  inventory: Inventory;
  checks: CheckResult[];
}

export function buildPayload(opts: {
  deviceId: string;
  seq: number;
  /** reportHash() of the previous report this device signed; null for its first report. */
  prevHash?: string | null;
  cycle: CycleResult;
  trigger: string;
  spool: { pending: number; evicted: number; quarantined: number };
  now?: Date;
}): ReportPayload {
  const now = opts.now ?? new Date();
  return {
    v: 1,
    reportId: uuidv7(now.getTime()),
    deviceId: opts.deviceId,
    seq: opts.seq,
    ...(opts.prevHash ? { prevHash: opts.prevHash } : {}),
    collectedAt: now.toISOString(),
    agentVersion: AGENT_VERSION,
    trigger: opts.trigger.slice(0, 80),
    inventory: opts.cycle.inventory,
    checks: opts.cycle.checks,
    spool: opts.spool,
  };
}

export type { CheckId };
