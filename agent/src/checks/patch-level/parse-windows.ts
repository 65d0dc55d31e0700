/**
 * Windows Update through the COM API (Microsoft.Update.Session, offline search against the
 * cached catalogue) plus hotfix history and update policy, emitted by one PowerShell
 * script as JSON. Security updates are recognised by category *ID* (titles and category
 * names are translated) or an MSRC severity.
 */
export const SECURITY_UPDATES_CATEGORY = '0fa1201d-4330-4fa8-8ae9-b877473b6441';

export interface WinUpdateReport {
  os?: { ProductName?: string; DisplayVersion?: string; CurrentBuild?: string; UBR?: number };
  lastInstall?: string | null;
  lastHotfix?: { HotFixID?: string; InstalledOn?: string | null } | null;
  pending?: { title: string; severity?: string | null; categoryIds?: string[] }[] | null;
  searchError?: string | null;
  noAutoUpdate?: number | null;
  auOptions?: number | null;
  pauseExpiry?: string | null;
  /** SoftwareLicensingProduct rows of the ESU activation IDs. */
  esu?: { ID?: string; LicenseStatus?: number }[] | { ID?: string; LicenseStatus?: number } | null;
  esuError?: string | null;
}

export function parseWinUpdateReport(json: string): WinUpdateReport | null {
  try {
    const v = JSON.parse(json.replace(/^\uFEFF/, ''));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as WinUpdateReport) : null;
  } catch {
    return null;
  }
}

export function windowsPatchFacts(r: WinUpdateReport, now: Date) {
  const build = Number(r.os?.CurrentBuild ?? NaN);
  // Windows 11 still says "Windows 10" in ProductName; the build number tells them apart.
  const name = r.os?.ProductName ? (build >= 22000 ? r.os.ProductName.replace('Windows 10', 'Windows 11') : r.os.ProductName) : null;
  const pending = Array.isArray(r.pending) ? r.pending : null;
  const security = pending?.filter((u) => (u.categoryIds ?? []).map((c) => c.toLowerCase()).includes(SECURITY_UPDATES_CATEGORY) || !!u.severity).length ?? null;
  const dates = [r.lastInstall, r.lastHotfix?.InstalledOn].map((d) => (d ? Date.parse(d) : NaN)).filter((d) => Number.isFinite(d));
  const last = dates.length ? Math.max(...dates) : null;
  const paused = r.pauseExpiry ? Date.parse(r.pauseExpiry) > now.getTime() : false;
  const disabled = r.noAutoUpdate === 1 || r.auOptions === 1;
  return {
    osName: name,
    osVersion: Number.isFinite(build) ? `10.0.${build}${r.os?.UBR != null ? `.${r.os.UBR}` : ''}` : null,
    build: r.os?.DisplayVersion ?? null,
    pendingUpdates: pending?.length ?? null,
    pendingSecurityUpdates: security,
    daysSinceLastUpdate: last === null ? null : Math.max(0, Math.floor((now.getTime() - last) / 86_400_000)),
    autoUpdatesEnabled: !(paused || disabled),
    paused,
    pendingTitles: (pending ?? []).slice(0, 10).map((u) => u.title.slice(0, 200)),
  };
}

/**
 * Windows 10 ESU activation IDs per year, as Microsoft documents them for MAK activation
 * (https://learn.microsoft.com/en-us/windows/whats-new/enable-extended-security-updates).
 */
export const ESU_ACTIVATION_IDS = ['f520e45e-7413-4a34-a497-d2765967d094', '1043add5-23b1-4afb-9a0f-64343c8f3f8d', '83d49986-add3-41d7-ba33-87c7bfb5c0fb'];

/** The highest ESU year whose licence is Licensed (LicenseStatus 1); null when it could not be read. */
export function windowsEsu(r: WinUpdateReport): { kind: 'windows-esu'; active: boolean | null; years: number | null; detail: string } {
  if (r.esu === null || r.esu === undefined)
    return { kind: 'windows-esu', active: null, years: null, detail: r.esuError ? `licence query failed: ${String(r.esuError).slice(0, 120)}` : 'licence state not reported' };
  const rows = Array.isArray(r.esu) ? r.esu : [r.esu];
  let years = 0;
  for (const row of rows) {
    const i = ESU_ACTIVATION_IDS.indexOf(String(row?.ID ?? '').toLowerCase());
    if (i >= 0 && row.LicenseStatus === 1) years = Math.max(years, i + 1);
  }
  return years ? { kind: 'windows-esu', active: true, years, detail: `ESU year ${years} licence active` } : { kind: 'windows-esu', active: false, years: null, detail: 'no ESU licence is active' };
}
