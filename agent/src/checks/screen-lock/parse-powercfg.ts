/**
 * `powercfg /query SCHEME_CURRENT <subgroup> <setting>`: labels are translated, but the
 * setting GUID and the two hex indexes (AC first, then DC) are printed the same in every
 * language, so only those are read. A setting that is absent from the plan prints
 * nothing useful and yields null.
 *   Power Setting GUID: 0e796bdb-100d-47d6-a2d5-f7d2daa51f51  (Require a password on wakeup)
 *     Current AC Power Setting Index: 0x00000001
 *     Current DC Power Setting Index: 0x00000001
 */
export const CONSOLELOCK = '0e796bdb-100d-47d6-a2d5-f7d2daa51f51';
export const STANDBYIDLE = '29f6c1db-86da-48c5-9fdb-f2b67b1f44da';
export const VIDEOIDLE = '3c0bc021-c8a8-4e07-a973-6b14cbcb2b7e';

export function parsePowercfgSetting(text: string, guid: string): { ac: number; dc: number } | null {
  const at = text.toLowerCase().indexOf(guid);
  if (at < 0) return null;
  // The setting's own block ends at the next "GUID:" line (another setting or subgroup).
  const rest = text.slice(at + guid.length);
  const next = rest.search(/\n[^\n]*GUID:/i);
  const block = next < 0 ? rest : rest.slice(0, next);
  // Possible values ("Possible Setting Index: 000") use decimal; current values are 0x hex.
  const values = [...block.matchAll(/:\s*0x([0-9a-f]{1,8})\s*$/gim)].map((m) => parseInt(m[1], 16));
  if (values.length < 2) return null;
  return { ac: values[values.length - 2], dc: values[values.length - 1] };
}

/**
 * Sleep after N seconds with "require a password on wakeup" locks the session after N.
 * The worse of AC and DC counts (a laptop on battery is the one that gets left behind).
 */
export function powerPlanLock(consoleLock: { ac: number; dc: number } | null, standby: { ac: number; dc: number } | null): { lockEnabled: boolean | null; idleTimeoutSeconds: number | null } {
  if (!consoleLock || !standby) return { lockEnabled: null, idleTimeoutSeconds: null };
  const locks = consoleLock.ac !== 0 && consoleLock.dc !== 0;
  const sleeps = standby.ac > 0 && standby.dc > 0;
  if (!locks || !sleeps) return { lockEnabled: false, idleTimeoutSeconds: null };
  return { lockEnabled: true, idleTimeoutSeconds: Math.max(standby.ac, standby.dc) };
}
