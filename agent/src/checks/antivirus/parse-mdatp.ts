/**
 * `mdatp health --output json` (Defender for Endpoint on Linux and macOS). Settings are
 * objects `{ "value": ..., "scope": ... }` in recent versions and bare values in older.
 */
export interface MdatpHealth {
  healthy: boolean | null;
  realTimeProtection: boolean | null;
  definitionsUpToDate: boolean | null;
  definitionsAgeDays: number | null;
}

const unwrap = (v: unknown): unknown => (v && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v);

export function parseMdatpHealth(json: string, now: Date): MdatpHealth | null {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(json);
  } catch {
    return null;
  }
  if (!d || typeof d !== 'object') return null;
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : null);
  const status = unwrap(d.definitionsStatus);
  let age: number | null = null;
  const minutes = unwrap(d.definitionsUpdatedMinutesAgo);
  const updated = unwrap(d.definitionsUpdated);
  if (typeof minutes === 'number') age = Math.floor(minutes / 1440);
  else if (typeof updated === 'number') age = Math.max(0, Math.floor((now.getTime() - updated) / 86_400_000));
  return {
    healthy: bool(unwrap(d.healthy)),
    realTimeProtection: bool(unwrap(d.realTimeProtectionEnabled)),
    definitionsUpToDate: typeof status === 'string' ? status === 'up_to_date' : null,
    definitionsAgeDays: age,
  };
}
