/**
 * Device partitions of the report log. Every report of one device lands in one partition, and
 * one projector at a time owns a partition (advisory lock), so a device's reports are applied
 * in order while several collectors share the partitions.
 *
 * The count is fixed by migration 070 (one projector_positions row per partition); changing
 * it needs a migration that re-partitions at a quiescent position.
 */
export const PARTITIONS = 8;

/** FNV-1a (32-bit) of the device id, modulo PARTITIONS: stable across processes and versions. */
export function partitionOf(deviceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PARTITIONS;
}

/** Advisory lock key of one partition's projector (transaction-scoped). */
export const partitionLockKey = (partition: number) => 7_362_170 + partition;
