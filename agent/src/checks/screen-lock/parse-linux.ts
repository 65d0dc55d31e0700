/** Linux desktop screen-lock settings: GNOME gsettings/dconf keyfiles and KDE kscreenlockerrc. */

/** `gsettings get` values: "uint32 300", "300", "true", "'string'". */
export function parseGvariant(text: string): number | boolean | string | null {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  const n = /^(?:u?int32\s+|u?int64\s+)?(-?\d+)$/.exec(t);
  if (n) return Number(n[1]);
  const s = /^'(.*)'$/.exec(t);
  return s ? s[1] : null;
}

/** dconf keyfile (/etc/dconf/db/local.d/*) → { 'org/gnome/desktop/session': { 'idle-delay': 'uint32 300' } }. */
export function parseDconfKeyfile(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] ??= {};
      continue;
    }
    const kv = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && section) out[section][kv[1]] = kv[2];
  }
  return out;
}

export interface GnomeLock {
  lockEnabled: boolean | null;
  idleTimeoutSeconds: number | null;
}

/** GNOME semantics: the screen blanks after idle-delay (0 = never) and locks lock-delay seconds later if lock-enabled. */
export function gnomeLock(idleDelay: unknown, lockEnabled: unknown, lockDelay: unknown): GnomeLock {
  const idle = typeof idleDelay === 'number' ? idleDelay : null;
  const enabled = typeof lockEnabled === 'boolean' ? lockEnabled : null;
  const delay = typeof lockDelay === 'number' ? lockDelay : 0;
  if (enabled === false || idle === 0) return { lockEnabled: false, idleTimeoutSeconds: idle === 0 ? null : idle };
  if (enabled === null || idle === null) return { lockEnabled: enabled, idleTimeoutSeconds: idle };
  return { lockEnabled: true, idleTimeoutSeconds: idle + delay };
}

/**
 * ~/.config/kscreenlockerrc `[Daemon]` group. Absent keys take KDE's defaults:
 * Autolock=true, Timeout=5 (minutes), LockGrace=5 (seconds).
 */
export function parseKscreenlockerrc(text: string): GnomeLock & { lockOnResume: boolean } {
  const daemon = parseDconfKeyfile(text).Daemon ?? {};
  const autolock = (daemon.Autolock ?? 'true').toLowerCase() !== 'false';
  const minutes = Number(daemon.Timeout ?? 5);
  const grace = Number(daemon.LockGrace ?? 5);
  return {
    lockEnabled: autolock && minutes > 0,
    idleTimeoutSeconds: autolock && minutes > 0 ? minutes * 60 + (Number.isFinite(grace) ? grace : 0) : null,
    lockOnResume: (daemon.LockOnResume ?? 'true').toLowerCase() !== 'false',
  };
}

/** MATE: idle-delay and lock-delay are minutes; the screensaver must activate on idle and lock. */
export function mateLock(idleMinutes: unknown, idleActivation: unknown, lockEnabled: unknown, lockDelayMinutes: unknown): GnomeLock {
  const idle = typeof idleMinutes === 'number' ? idleMinutes : null;
  const act = typeof idleActivation === 'boolean' ? idleActivation : null;
  const enabled = typeof lockEnabled === 'boolean' ? lockEnabled : null;
  const delay = typeof lockDelayMinutes === 'number' ? lockDelayMinutes : 0;
  if (act === false || enabled === false || idle === 0) return { lockEnabled: false, idleTimeoutSeconds: null };
  if (act === null || enabled === null || idle === null) return { lockEnabled: null, idleTimeoutSeconds: null };
  return { lockEnabled: true, idleTimeoutSeconds: (idle + delay) * 60 };
}

/**
 * xfconf channel file for xfce4-screensaver → nested properties by path
 * (`/saver/idle-activation/delay`). Defaults where a property is absent (xfce4-screensaver
 * 4.16–4.18): saver enabled, idle activation on after 5 minutes, lock enabled with the
 * saver, lock delay 0 minutes.
 */
export function parseXfceScreensaver(xml: string): GnomeLock {
  const props = new Map<string, string>();
  const stack: string[] = [];
  for (const m of xml.matchAll(/<property\b([^>]*?)(\/?)>|<\/property>/g)) {
    if (m[0] === '</property>') {
      stack.pop();
      continue;
    }
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1] ?? '';
    const value = /\bvalue="([^"]*)"/.exec(m[1])?.[1];
    const path = [...stack, name].join('/');
    if (value !== undefined) props.set(`/${path}`, value);
    if (m[2] !== '/') stack.push(name);
  }
  const bool = (k: string, d: boolean) => (props.has(k) ? props.get(k) === 'true' : d);
  const int = (k: string, d: number) => (props.has(k) && /^\d+$/.test(props.get(k)!) ? Number(props.get(k)) : d);
  const saver = bool('/saver/enabled', true) && bool('/saver/idle-activation/enabled', true);
  const lock = bool('/lock/enabled', true) && bool('/lock/saver-activation/enabled', true);
  const idle = int('/saver/idle-activation/delay', 5);
  if (!saver || !lock || idle === 0) return { lockEnabled: false, idleTimeoutSeconds: null };
  return { lockEnabled: true, idleTimeoutSeconds: (idle + int('/lock/saver-activation/delay', 0)) * 60 };
}

/** `/proc/<pid>/status` → real uid. */
export function statusUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** /etc/passwd → { name, home } for a uid. */
export function passwdEntry(passwd: string, uid: number): { name: string; home: string } | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid) return { name: f[0], home: f[5] };
  }
  return null;
}
