/**
 * device-lifecycle.csv: what happened to a bundle's devices besides revocation (issue 13).
 * One row per device of the bundle that is archived or deleted at export time; a device that
 * was archived and un-archived again has no row (the audit log records both changes).
 * Columns: device_id, hostname, archived_at, archived_by, archive_reason, deleted_at,
 * deleted_by, delete_reason (ISO-8601 UTC times; empty = not archived / not deleted).
 * A deleted device keeps its reports, events and row in devices.csv for the periods in which
 * it existed (server/src/devices/lifecycle.ts); the verifier checks each row against the
 * device's row in devices.csv and its audit entry (scripts/evidence/lifecycle-check.ts).
 */
export const DEVICE_LIFECYCLE_FILE = 'device-lifecycle.csv';
export const DEVICE_LIFECYCLE_HEADER = ['device_id', 'hostname', 'archived_at', 'archived_by', 'archive_reason', 'deleted_at', 'deleted_by', 'delete_reason'] as const;
