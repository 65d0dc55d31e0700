/**
 * The retention in force for each kind of data (policy `retention:`), with the 400-day default
 * filled in. One definition for the pruning job, the policy page and the docs.
 */
import { AUDIT_MIN_RETENTION_DAYS } from '../audit/chain.js';
import type { Policy } from './schema.js';

/** The data kinds the policy keeps a retention for, in the order the policy page shows them. */
export const RETENTION_KINDS = ['reports', 'stateEvents', 'inventory', 'auditLog'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Days each kind is kept: the policy's value, else the minimum (400). */
export type RetentionDays = Record<RetentionKind, number>;

/** What each kind is, for the policy page and prune output. */
export const RETENTION_LABELS: Record<RetentionKind, string> = {
  reports: 'Signed reports (reportsDays)',
  stateEvents: 'State events (stateEventsDays)',
  inventory: 'Inventory history (inventoryDays; kept inside the signed reports)',
  auditLog: 'Audit log (auditLogDays)',
};

/** The retention of every kind under `policy`, defaults filled in. */
export function retentionDays(policy: Pick<Policy, 'retention'>): RetentionDays {
  const r = policy.retention ?? {};
  return {
    reports: r.reportsDays ?? AUDIT_MIN_RETENTION_DAYS,
    stateEvents: r.stateEventsDays ?? AUDIT_MIN_RETENTION_DAYS,
    inventory: r.inventoryDays ?? AUDIT_MIN_RETENTION_DAYS,
    auditLog: r.auditLogDays ?? AUDIT_MIN_RETENTION_DAYS,
  };
}
