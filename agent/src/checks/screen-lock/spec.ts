/** screen_lock: does the screen lock with a password after a bounded idle time? */
import type { CheckSpec } from '../types.js';
import { num } from '../types.js';

export const spec: CheckSpec<'screen_lock'> = {
  id: 'screen_lock',
  title: 'Screen lock',
  defaults: { maxIdleSeconds: 900 },
  remediation: {
    darwin: [
      'Open System Settings → Lock Screen and set "Require password after screen saver begins or display is turned off" to Immediately.',
      'Set "Start Screen Saver when inactive" (or "Turn display off when inactive") to 15 minutes or less.',
    ],
    win32: [
      'Open Settings → Personalization → Lock screen → Screen saver, choose a timeout of 15 minutes or less and tick "On resume, display logon screen".',
      'Or Settings → Accounts → Sign-in options → "If you\'ve been away, when should Windows require you to sign in again?" → When PC wakes up from sleep.',
    ],
    linux: [
      'GNOME: Settings → Privacy → Screen Lock: turn on Automatic Screen Lock and set Blank Screen Delay to 15 minutes or less.',
      'Or in a terminal (as yourself, not root): `gsettings set org.gnome.desktop.screensaver lock-enabled true && gsettings set org.gnome.desktop.session idle-delay 300`.',
      'KDE: System Settings → Screen Locking: "Lock screen automatically after" 15 minutes or less.',
    ],
  },
  steps(obs, platform, t) {
    // One number, the one the policy checks: no "15 minutes" in one step and "300" in the next.
    const max = num(t, 'maxIdleSeconds', 900);
    const mins = Math.max(1, Math.floor(max / 60));
    const secs = Math.min(max, 300);
    if (platform === 'darwin')
      return [
        'Open System Settings → Lock Screen and set "Require password after screen saver begins or display is turned off" to Immediately.',
        `Set "Start Screen Saver when inactive" (or "Turn display off when inactive") to ${mins} minutes or less.`,
      ];
    if (platform === 'win32')
      return [
        `Open Settings → Personalization → Lock screen → Screen saver, choose a wait of ${mins} minutes or less and tick "On resume, display logon screen".`,
        'Or Settings → Accounts → Sign-in options → "If you\'ve been away, when should Windows require you to sign in again?" → When PC wakes up from sleep.',
      ];
    switch (obs.facts.session) {
      case 'gnome':
        return [
          `Open Settings → Privacy → Screen Lock: turn on Automatic Screen Lock and set Blank Screen Delay to ${mins} minutes or less.`,
          `Or in a terminal, as yourself (not root): \`gsettings set org.gnome.desktop.screensaver lock-enabled true && gsettings set org.gnome.desktop.session idle-delay ${secs}\`.`,
        ];
      case 'kde':
        return [`Open System Settings → Screen Locking: turn on "Lock screen automatically" after ${mins} minutes or less.`];
      case 'xfce':
        return [`Open Settings → Screensaver: turn on the screensaver after ${mins} minutes or less, and on the Lock Screen tab turn on "Lock Screen with Screensaver".`];
      case 'cinnamon':
        return [`Open System Settings → Screensaver: set "Delay before starting the screensaver" to ${mins} minutes or less and turn on "Lock the computer when put to sleep" and "Lock the computer after the screensaver starts".`];
      case 'mate':
        return [`Open Control Center → Screensaver: "Regard the computer as idle after" ${mins} minutes or less, and tick "Lock screen when screensaver is active".`];
      case 'headless':
        return ['This computer has no desktop session: nothing to lock. If it should have one, ask IT.'];
      default:
        return null;
    }
  },
  evaluate(obs, t) {
    const f = obs.facts;
    const max = num(t, 'maxIdleSeconds', 900);
    if (f.lockEnabled === null) return { status: 'unknown', summary: obs.reason ? `Screen lock not determined: ${obs.reason}`.slice(0, 500) : 'Screen lock settings could not be read' };
    if (f.lockEnabled === false) return { status: 'fail', summary: 'The screen does not lock when idle' };
    if (f.idleTimeoutSeconds == null || f.idleTimeoutSeconds === 0) return { status: 'fail', summary: 'The screen lock has no idle timeout' };
    if (f.idleTimeoutSeconds > max) return { status: 'fail', summary: `The screen locks after ${f.idleTimeoutSeconds}s idle (max ${max}s)` };
    return { status: 'pass', summary: `The screen locks after ${f.idleTimeoutSeconds}s idle` };
  },
};
