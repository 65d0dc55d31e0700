/**
 * Alerts are written to an outbox in the same transaction as the state change that causes
 * them, so a crash can neither lose nor double an alert; a worker (alerts/worker.ts) delivers.
 */
export interface OutboxRow {
  dedupe_key: string;
  kind: 'noncompliant' | 'stale' | 'recovered';
  device_id: string;
  payload: Record<string, unknown>;
}

const BAD = new Set(['noncompliant', 'stale']);

export function alertForTransition(
  alertOn: string[],
  deviceId: string,
  hostname: string,
  from: string | null,
  to: string,
  at: Date,
  failing: string[],
  extra: { lastSeenAt?: Date | null } = {},
): OutboxRow | null {
  let kind: OutboxRow['kind'] | null = null;
  if (to === 'noncompliant' || to === 'stale') kind = to;
  else if (from && BAD.has(from) && (to === 'compliant' || to === 'excluded')) kind = 'recovered';
  if (!kind || !alertOn.includes(kind)) return null;
  const text =
    kind === 'recovered'
      ? `:white_check_mark: ${hostname} is ${to} again (was ${from}).`
      : kind === 'stale'
        ? `:warning: ${hostname} has not reported and is now stale.`
        : `:rotating_light: ${hostname} is noncompliant: ${failing.join(', ') || 'see dashboard'}.`;
  return {
    // One alert per device, transition and moment: a replayed batch cannot alert twice.
    dedupe_key: `${deviceId}:${kind}:${at.toISOString()}`,
    kind,
    device_id: deviceId,
    payload: { text, deviceId, hostname, from, to, at: at.toISOString(), failingChecks: failing, ...(extra.lastSeenAt ? { lastSeenAt: new Date(extra.lastSeenAt).toISOString() } : {}) },
  };
}

/** The checks an alert names: past their grace (noncompliant), not those still within it. */
export function noncompliantChecks(ev: { checks: { id: string; state: string }[] }): string[] {
  return ev.checks.filter((c) => c.state === 'noncompliant').map((c) => c.id);
}
