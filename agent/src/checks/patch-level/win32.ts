/** Windows: one PowerShell script gathers OS build, pending updates, history and policy. */
import { runPowerShell } from '../platform/powershell.js';
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { parseWinUpdateReport, windowsEsu, windowsPatchFacts } from './parse-windows.js';

const SCRIPT = `
$cv = Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
$r = [ordered]@{ os = [ordered]@{ ProductName = $cv.ProductName; DisplayVersion = $cv.DisplayVersion; CurrentBuild = $cv.CurrentBuild; UBR = $cv.UBR } }
try { $d = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results.LastInstallationSuccessDate; $r.lastInstall = if ($d) { ([datetime]$d).ToUniversalTime().ToString('o') } else { $null } } catch { $r.lastInstall = $null }
try { $h = Get-HotFix | Where-Object InstalledOn | Sort-Object InstalledOn -Descending | Select-Object -First 1; $r.lastHotfix = @{ HotFixID = $h.HotFixID; InstalledOn = $h.InstalledOn.ToUniversalTime().ToString('o') } } catch { $r.lastHotfix = $null }
try {
  $s = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $s.Online = $false
  $res = $s.Search("IsInstalled=0 and IsHidden=0 and Type='Software'")
  $r.pending = @($res.Updates | ForEach-Object { @{ title = $_.Title; severity = $_.MsrcSeverity; categoryIds = @($_.Categories | ForEach-Object { $_.CategoryID }) } })
} catch { $r.pending = $null; $r.searchError = $_.Exception.Message }
$au = Get-ItemProperty 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' -ErrorAction SilentlyContinue
$r.noAutoUpdate = $au.NoAutoUpdate; $r.auOptions = $au.AUOptions
$ux = Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\WindowsUpdate\\UX\\Settings' -ErrorAction SilentlyContinue
$r.pauseExpiry = $ux.PauseUpdatesExpiryTime
# Windows 10 ESU: the licence of each ESU year, by its documented activation ID (LicenseStatus 1 = Licensed).
try { $r.esu = @(Get-CimInstance -ClassName SoftwareLicensingProduct -Filter "ID='f520e45e-7413-4a34-a497-d2765967d094' OR ID='1043add5-23b1-4afb-9a0f-64343c8f3f8d' OR ID='83d49986-add3-41d7-ba33-87c7bfb5c0fb'" -Property ID,LicenseStatus -ErrorAction Stop | ForEach-Object { @{ ID = $_.ID; LicenseStatus = $_.LicenseStatus } }) } catch { $r.esu = $null; $r.esuError = $_.Exception.Message }
$r | ConvertTo-Json -Depth 5 -Compress`;

export const collectWin32: Collector<'patch_level'> = async (ctx) => {
  const ps = await runPowerShell(ctx, SCRIPT, { timeoutMs: 60_000 });
  const report = ps.ok ? parseWinUpdateReport(ps.stdout) : null;
  if (!report) {
    return {
      facts: { osName: null, osVersion: null, pendingUpdates: null, pendingSecurityUpdates: null, daysSinceLastUpdate: null, autoUpdatesEnabled: null },
      reason: describeFailure('Windows Update query', ps.error),
    };
  }
  const { paused, pendingTitles, ...facts } = windowsPatchFacts(report, ctx.now);
  // Only Windows 10 22H2 has ESU; asking elsewhere would only add noise to the evidence.
  const esu = facts.osVersion?.startsWith('10.0.19045') ? windowsEsu(report) : null;
  return {
    facts: { ...facts, packageManager: 'windows-update', ...(esu ? { extendedSupport: esu } : {}) },
    detail: { paused, pendingTitles, lastHotfix: report.lastHotfix?.HotFixID ?? null },
    reason: report.searchError ? `Windows Update search failed: ${report.searchError}`.slice(0, 300) : undefined,
  };
};
