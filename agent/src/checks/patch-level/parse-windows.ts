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
