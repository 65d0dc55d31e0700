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
