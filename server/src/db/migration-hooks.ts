/**
 * Migration steps SQL cannot do, keyed by the migration file they follow (run in the same
 * transaction, under the migration lock).
 */
import type { Queryable } from './types.js';
import type { MigrationHook } from './migrate.js';
import { sealAuditBacklog } from './audit-seal.js';
import { sealGroupWindows } from './group-windows-seal.js';

export const MIGRATION_HOOKS: Record<string, MigrationHook> = {
  // Chain the audit entries written before the chain existed, in id order.
  '030_audit_chain.sql': async (q: Queryable) => {
    await sealAuditBacklog(q);
  },
  // Audit entries for the group membership windows opened before windows were audited.
  '120_group_window_audit.sql': async (q: Queryable) => {
    await sealGroupWindows(q);
  },
};
