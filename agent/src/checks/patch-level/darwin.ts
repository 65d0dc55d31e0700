/**
 * macOS: pending updates from `softwareupdate --list` (contacts Apple's catalogue, so it
 * gets a long timeout), last install from InstallHistory.plist's modification time, and
 * the automatic-update preferences (managed profile values take precedence).
 */
import type { Collector } from '../types.js';
import { daysSince, describeFailure } from '../types.js';
import { parseSoftwareUpdateList, parseSoftwareUpdatePrefs, parseSwVers } from './parse-darwin.js';

export const collectDarwin: Collector<'patch_level'> = async (ctx) => {
  const [vers, list, prefs, managed, history] = await Promise.all([
    ctx.run('sw_vers', []),
    ctx.run('softwareupdate', ['--list'], { timeoutMs: 60_000 }),
    ctx.run('defaults', ['export', '/Library/Preferences/com.apple.SoftwareUpdate', '-']),
    ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '/Library/Managed Preferences/com.apple.SoftwareUpdate.plist']),
    ctx.fs.stat('/Library/Receipts/InstallHistory.plist'),
  ]);
  const os = vers.ok ? parseSwVers(vers.stdout) : { name: null, version: null, build: null };
  const pending = parseSoftwareUpdateList(`${list.stdout}\n${list.stderr}`);
  const p = (managed.ok ? parseSoftwareUpdatePrefs(managed.stdout) : null) ?? (prefs.ok ? parseSoftwareUpdatePrefs(prefs.stdout) : null);
  return {
    facts: {
      osName: os.name,
      osVersion: os.version,
      build: os.build,
      kernel: null,
      pendingUpdates: pending?.pending ?? null,
      pendingSecurityUpdates: pending?.security ?? null,
      daysSinceLastUpdate: history.ok ? daysSince(history.value.mtimeMs, ctx.now) : null,
      autoUpdatesEnabled: p ? p.autoCheck && p.securityResponses : null,
      packageManager: 'softwareupdate',
    },
    detail: { pendingLabels: pending?.labels, preferences: p, managedPreferences: managed.ok },
    reason: pending ? undefined : list.ok ? 'softwareupdate output not understood' : describeFailure('softwareupdate --list', list.error),
  };
};
