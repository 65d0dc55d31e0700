/** patch_level: OS version and pending (security) updates; the policy sets the thresholds. */
import type { CheckSpec } from '../types.js';
import { num } from '../types.js';

export const spec: CheckSpec<'patch_level'> = {
  id: 'patch_level',
  title: 'OS patch level',
  defaults: { maxPendingSecurityUpdates: 0, maxDaysSinceUpdate: 30, requireAutoUpdates: false },
  remediation: {
    darwin: [
      'Open System Settings → General → Software Update and install all updates, then restart.',
      'Turn on Automatic Updates (including "Install Security Responses and system files").',
    ],
    win32: [
      'Open Settings → Windows Update → Check for updates, install everything, then restart.',
      'If updates are paused, choose "Resume updates".',
    ],
    linux: [
      'Debian/Ubuntu: `sudo apt-get update && sudo apt-get upgrade` (or Software Updater → Install Now).',
      'Keep security updates automatic: `sudo apt-get install unattended-upgrades && sudo dpkg-reconfigure -plow unattended-upgrades`.',
      'Fedora/RHEL: `sudo dnf upgrade --refresh`; automatic updates: `sudo systemctl enable --now dnf-automatic-install.timer`.',
      'openSUSE: `sudo zypper patch`. Arch: `sudo pacman -Syu`.',
      'Restart if a new kernel was installed.',
    ],
  },
  evaluate(obs, t) {
    const f = obs.facts;
    const os = [f.osName, f.osVersion].filter(Boolean).join(' ') || 'OS';
    const fails: string[] = [];
    const maxSec = num(t, 'maxPendingSecurityUpdates', 0);
    const maxDays = num(t, 'maxDaysSinceUpdate', 30);
    if (f.pendingSecurityUpdates != null && f.pendingSecurityUpdates > maxSec) fails.push(`${f.pendingSecurityUpdates} pending security update(s)`);
    if (f.daysSinceLastUpdate != null && f.daysSinceLastUpdate > maxDays) fails.push(`last update ${f.daysSinceLastUpdate} days ago`);
    if (t.requireAutoUpdates === true && f.autoUpdatesEnabled === false) fails.push('automatic updates are off');
    const pending = f.pendingUpdates != null ? `, ${f.pendingUpdates} pending update(s)` : '';
    if (fails.length) return { status: 'fail', summary: `${os}: ${fails.join(', ')}${pending}` };
    if (f.pendingSecurityUpdates == null) return { status: 'unknown', summary: `${os}: pending security updates could not be determined` };
    return { status: 'pass', summary: `${os}: no pending security updates${pending}` };
  },
};
