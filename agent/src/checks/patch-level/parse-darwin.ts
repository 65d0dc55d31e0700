/** macOS: `sw_vers`, `softwareupdate --list`, and the SoftwareUpdate preferences. */
import { asDict, parsePlist } from '../platform/plist.js';

export function parseSwVers(text: string): { name: string | null; version: string | null; build: string | null } {
  const get = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'm').exec(text)?.[1].trim() ?? null;
  return { name: get('ProductName'), version: get('ProductVersion'), build: get('BuildVersion') };
}

/**
 * `softwareupdate --list` (stdout and stderr together: "No new software available." goes
 * to stderr). Each item is `* Label: ...` followed by a tab-indented `Title: ..., Version: ...`.
 * macOS, Safari and Security Response items carry Apple security content; they are what
 * "pending security updates" counts. Returns null when the output is not understood.
 */
export function parseSoftwareUpdateList(text: string): { pending: number; security: number; labels: string[] } | null {
  if (/No new software available/i.test(text)) return { pending: 0, security: 0, labels: [] };
  if (!/Software Update found the following/i.test(text)) return null;
  let labels = [...text.matchAll(/^\s*\* Label:\s*(.+)$/gm)].map((m) => m[1].trim());
  // macOS 10.15 and earlier list `   * name` (recommended) or `   - name` with no "Label:";
  // reading only "Label:" lines would report nothing pending there.
  if (!labels.length) labels = [...text.matchAll(/^\s*[*-]\s+(.+)$/gm)].map((m) => m[1].trim());
  // "Command Line Tools (macOS Mojave version 10.14)" names macOS but is a developer tool.
  const security = labels.filter((l) => !/^Command Line Tools/i.test(l) && /macOS|OS X|Security|Safari|Rapid Security Response|Background Security/i.test(l)).length;
  return { pending: labels.length, security, labels: labels.slice(0, 20) };
}

/**
 * com.apple.SoftwareUpdate preferences (XML) → automatic updates on? Unset keys default to
 * on for checking and security responses, which is how macOS ships.
 */
export function parseSoftwareUpdatePrefs(xml: string): { autoCheck: boolean; securityResponses: boolean; autoInstallMacOS: boolean | null } | null {
  const d = asDict(parsePlist(xml));
  if (!d) return null;
  const b = (k: string, dflt: boolean) => (typeof d[k] === 'boolean' ? (d[k] as boolean) : typeof d[k] === 'number' ? d[k] !== 0 : dflt);
  return {
    autoCheck: b('AutomaticCheckEnabled', true),
    securityResponses: b('CriticalUpdateInstall', true) && b('ConfigDataInstall', true),
    autoInstallMacOS: typeof d.AutomaticallyInstallMacOSUpdates === 'boolean' ? d.AutomaticallyInstallMacOSUpdates : null,
  };
}
