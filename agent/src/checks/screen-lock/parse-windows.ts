/**
 * Windows screen lock from the registry. Two mechanisms lock an idle session:
 *  - the machine inactivity limit (InactivityTimeoutSecs, "Interactive logon: Machine
 *    inactivity limit") locks after N seconds;
 *  - a password-protected screen saver (ScreenSaveActive=1, ScreenSaverIsSecure=1,
 *    ScreenSaveTimeOut=N). Group Policy values under Software\Policies override the user's.
 */
import { regGet, type RegKeys } from '../platform/reg.js';

export const DESKTOP_KEY = 'HKEY_CURRENT_USER\\Control Panel\\Desktop';
export const DESKTOP_POLICY_KEY = 'HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop';
export const SYSTEM_POLICY_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System';

export function windowsScreenLock(keys: RegKeys): { lockEnabled: boolean | null; idleTimeoutSeconds: number | null; source: string | null } {
  const inactivity = regGet(keys, SYSTEM_POLICY_KEY, 'InactivityTimeoutSecs');
  if (typeof inactivity === 'number' && inactivity > 0) return { lockEnabled: true, idleTimeoutSeconds: inactivity, source: 'InactivityTimeoutSecs' };
  const get = (name: string) => {
    const v = regGet(keys, DESKTOP_POLICY_KEY, name) ?? regGet(keys, DESKTOP_KEY, name);
    return v === undefined ? undefined : Number(v);
  };
  const active = get('ScreenSaveActive');
  const secure = get('ScreenSaverIsSecure');
  const timeout = get('ScreenSaveTimeOut');
  if (active === undefined && secure === undefined && timeout === undefined) return { lockEnabled: null, idleTimeoutSeconds: null, source: null };
  // With "(None)" chosen, Windows drops SCRNSAVE.EXE but keeps ScreenSaveActive=1 (and any
  // ScreenSaverIsSecure/ScreenSaveTimeOut): nothing runs, nothing locks. Absence only counts
  // when the user's Desktop key itself was read. (Microsoft's "Enable screen saver" policy
  // text, quoted by the CIS benchmarks: a screen saver runs only if a valid one is specified.)
  const exe = regGet(keys, DESKTOP_POLICY_KEY, 'SCRNSAVE.EXE') ?? regGet(keys, DESKTOP_KEY, 'SCRNSAVE.EXE');
  const desktopRead = keys[DESKTOP_KEY.toUpperCase()] !== undefined;
  const saverChosen = exe !== undefined ? String(exe).trim() !== '' : !desktopRead;
  const enabled = active === 1 && secure === 1 && (timeout ?? 0) > 0 && saverChosen;
  return { lockEnabled: enabled, idleTimeoutSeconds: timeout && timeout > 0 ? timeout : null, source: 'screen saver' };
}
