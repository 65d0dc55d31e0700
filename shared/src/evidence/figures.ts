/**
 * The derived columns of devices.csv, computed from a DeviceHistory. One function for the
 * exporter and the verifier, so both print the same figure for the same history. States are
 * those at the END of the period (not at export time); a device revoked by then is `revoked`,
 * never `compliant`.
 */
import type { DeviceHistory } from './history.js';

/** devices.csv header for the checks of the period (built-in plus custom checks declared by a policy in force). */
export const devicesCsvHeader = (checkIds: readonly string[]): string[] => [
  'device_id', 'hostname', 'serial', 'model', 'platform', 'os', 'owner', 'first_seen', 'last_seen', 'revoked_at', 'state_at_period_end',
  ...checkIds.flatMap((c) => [`${c}_state_at_period_end`, `${c}_pct_compliant`]), 'overall_pct_compliant', 'hours_without_reports',
  // Device groups the device was in at some point of the period (space-separated; group-memberships.csv has the windows).
  'groups',
];
/** Index of the first derived column (state_at_period_end). */
export const DEVICES_CSV_FIRST_DERIVED = 10;

export function deviceFigures(h: DeviceHistory, revokedAt: Date | null, to: Date, checkIds: readonly string[]): (string | number | null)[] {
  const revoked = revokedAt !== null && revokedAt.getTime() <= to.getTime();
  return [
    revoked ? 'revoked' : h.overall.stateAtEnd,
    ...checkIds.flatMap((c) => [revoked ? 'revoked' : h.checks[c].stateAtEnd, h.checks[c].compliantPct]),
    h.overall.compliantPct,
    Math.round(h.overall.seconds.unknown / 36) / 100,
  ];
}
