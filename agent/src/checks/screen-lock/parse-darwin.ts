/**
 * macOS screen lock: `sysadminctl -screenLock status` (macOS 13+, prints to stderr:
 * "screenLock delay is immediate" / "screenLock delay is 300 seconds" / "screenLock is off"),
 * the screen saver idle time, and display sleep from `pmset -g` (the lock also engages
 * when the display sleeps).
 */
import { asDict, parsePlist } from '../platform/plist.js';

export function parseSysadminctlScreenLock(text: string): { enabled: boolean; delaySeconds: number | null } | null {
  if (/screenLock is off/i.test(text)) return { enabled: false, delaySeconds: null };
  if (/screenLock delay is immediate/i.test(text)) return { enabled: true, delaySeconds: 0 };
  // Some releases print the delay as a float, and the disabled state as a negative delay
  // ("screenLock delay is -1.000000 seconds").
  const m = /screenLock delay is (-?\d+(?:\.\d+)?) seconds?/i.exec(text);
  if (!m) return null;
  const delay = Number(m[1]);
  return delay < 0 ? { enabled: false, delaySeconds: null } : { enabled: true, delaySeconds: Math.round(delay) };
}

/** `pmset -g` → displaysleep in minutes (0 = never). */
export function parsePmsetDisplaySleep(text: string): number | null {
  const m = /^\s*displaysleep\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Managed com.apple.screensaver (XML) → idleTime, askForPassword, askForPasswordDelay. */
export function parseScreensaverPrefs(xml: string): { idleTime: number | null; askForPassword: boolean | null; delay: number | null } | null {
  const d = asDict(parsePlist(xml));
  if (!d) return null;
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  return { idleTime: n(d.idleTime), askForPassword: typeof d.askForPassword === 'boolean' ? d.askForPassword : d.askForPassword === 1 ? true : d.askForPassword === 0 ? false : null, delay: n(d.askForPasswordDelay) };
}

/** Effective idle-to-lock time: the earlier of screen saver and display sleep, plus the lock delay. */
export function macIdleToLock(screensaverIdle: number | null, displaySleepMin: number | null, delay: number): number | null {
  const candidates = [screensaverIdle, displaySleepMin !== null ? displaySleepMin * 60 : null].filter((x): x is number => x !== null && x > 0);
  return candidates.length ? Math.min(...candidates) + delay : null;
}
