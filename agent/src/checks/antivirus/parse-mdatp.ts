/**
 * `mdatp health --output json` (Defender for Endpoint on Linux and macOS). Settings are
 * objects `{ "value": ..., "scope": ... }` in recent versions and bare values in older.
 * Versions without `--output json` print `key : value [managed]` lines (snake_case keys),
 * read by parseMdatpHealthText into the same shape.
 */
export interface MdatpHealth {
  healthy: boolean | null;
  realTimeProtection: boolean | null;
  definitionsUpToDate: boolean | null;
  definitionsAgeDays: number | null;
  /** Passive mode: another product is primary; Defender detects but does not block. */
  passiveMode?: boolean | null;
  healthIssues?: string[];
  /** Onboarded to an organisation (non-empty orgId) and licensed: a sensor that reports somewhere. */
  onboarded?: boolean | null;
}

/**
 * Settings come as bare values, `{ "value": …, "scope": … }`, or (definitionsStatus on
 * current versions) a tagged object `{ "$type": "upToDate" }`.
 */
const unwrap = (v: unknown): unknown => {
  if (!v || typeof v !== 'object') return v;
  if ('value' in (v as object)) return (v as { value: unknown }).value;
  if ('$type' in (v as object)) return (v as { $type: unknown }).$type;
  return v;
};
/** `up_to_date`, `upToDate`, `Up To Date` → `uptodate`. */
const norm = (s: string) => s.replace(/[\s_-]/g, '').toLowerCase();
const bool = (v: unknown) => (typeof v === 'boolean' ? v : null);

function onboarded(d: Record<string, unknown>): boolean | null {
  const org = unwrap(d.orgId);
  const licensed = bool(unwrap(d.licensed));
  if (licensed === false || org === '' || org === null) return false;
  return typeof org === 'string' && org.length > 0 && licensed !== null ? true : null;
}

function fromRecord(d: Record<string, unknown>, now: Date): MdatpHealth {
  const status = unwrap(d.definitionsStatus);
  let age: number | null = null;
  const minutes = unwrap(d.definitionsUpdatedMinutesAgo);
  const updated = unwrap(d.definitionsUpdated);
  if (typeof minutes === 'number') age = Math.floor(minutes / 1440);
  else if (typeof updated === 'number') age = Math.max(0, Math.floor((now.getTime() - updated) / 86_400_000));
  const passive = bool(unwrap(d.passiveModeEnabled));
  const rtp = bool(unwrap(d.realTimeProtectionEnabled));
  const issues = unwrap(d.healthIssues);
  return {
    healthy: bool(unwrap(d.healthy)),
    realTimeProtection: passive === true ? false : rtp,
    // "could_be_older" (and "updating") is transient and says nothing firm: the age decides then.
    definitionsUpToDate: typeof status !== 'string' ? null : norm(status) === 'uptodate' ? true : /^(couldbeolder|updating|unknown)$/.test(norm(status)) ? null : false,
    definitionsAgeDays: age,
    passiveMode: passive,
    healthIssues: Array.isArray(issues) ? issues.map(String).slice(0, 10) : undefined,
    onboarded: onboarded(d),
  };
}

export function parseMdatpHealth(json: string, now: Date): MdatpHealth | null {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  return fromRecord(d, now);
}

/** Plain `mdatp health`: `real_time_protection_enabled : true [managed]`, strings quoted. */
export function parseMdatpHealthText(text: string, now: Date): MdatpHealth | null {
  const d: Record<string, unknown> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([a-z_]+)\s*:\s*(.*?)\s*(\[[a-z]+\])?\s*$/.exec(line);
    if (!m) continue;
    const key = m[1].replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const raw = m[2];
    let value: unknown = raw.replace(/^"(.*)"$/, '$1');
    if (raw === 'true' || raw === 'false') value = raw === 'true';
    else if (/^\d+$/.test(raw)) value = Number(raw);
    else if (raw === '[]') value = [];
    else if (/^\[.*\]$/.test(raw)) value = raw.slice(1, -1).split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
    d[key] = value;
  }
  if (!('healthy' in d) && !('realTimeProtectionEnabled' in d)) return null;
  return fromRecord(d, now);
}
