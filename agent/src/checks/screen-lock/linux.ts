/**
 * Linux: find the graphical session by its shell process, then read that user's
 * settings. GNOME is read with `gsettings`, pointed at the session user's dconf database
 * via HOME/XDG_CONFIG_HOME (dconf reads the file directly; no D-Bus session needed),
 * with system dconf keyfiles as the fallback; Cinnamon and MATE the same way under their
 * own schemas. KDE is a plain ini file, XFCE's xfce4-screensaver an xfconf XML file. A machine
 * without a desktop session has no screen to lock: unknown, "no desktop session".
 */
import type { ScreenLockFacts } from '../../../../shared/src/checks/facts.js';
import { listProcesses } from '../../exec/processes.js';
import type { Collector, ProbeContext } from '../types.js';
import { describeFailure } from '../types.js';
import { gnomeLock, mateLock, parseDconfKeyfile, parseGvariant, parseKscreenlockerrc, parseXfceScreensaver, passwdEntry, statusUid } from './parse-linux.js';

const DESKTOPS: { session: string; procs: string[] }[] = [
  { session: 'gnome', procs: ['gnome-shell'] },
  { session: 'kde', procs: ['plasmashell', 'ksmserver', 'kwin_wayland', 'kwin_x11'] },
  { session: 'xfce', procs: ['xfce4-session'] },
  { session: 'cinnamon', procs: ['cinnamon', 'cinnamon-sessio'] },
  { session: 'mate', procs: ['mate-session'] },
];

/**
 * GNOME: each key is judged on its own. `lock-enabled false` alone is a fail (the screen
 * never locks, whatever the delay); `lock-enabled true` with an unreadable idle-delay is
 * unknown with what actually happened. Keys gsettings cannot give come from the system
 * dconf keyfiles (administrator defaults), then GNOME's built-in defaults only when the
 * keyfiles set the other key.
 */
async function gnome(ctx: ProbeContext, home: string, uid: number): Promise<{ lock: ReturnType<typeof gnomeLock>; source: string; error?: string }> {
  const env = { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, XDG_RUNTIME_DIR: `/run/user/${uid}` };
  const get = (schema: string, key: string) => ctx.run('gsettings', ['get', schema, key], { env });
  const [idle, enabled, delay] = await Promise.all([
    get('org.gnome.desktop.session', 'idle-delay'),
    get('org.gnome.desktop.screensaver', 'lock-enabled'),
    get('org.gnome.desktop.screensaver', 'lock-delay'),
  ]);
  const val = (r: typeof idle) => (r.ok ? parseGvariant(r.stdout) : null);
  let idleV: unknown = val(idle);
  let enabledV: unknown = val(enabled);
  let delayV: unknown = val(delay);
  const from: string[] = [];
  if (typeof idleV === 'number' || typeof enabledV === 'boolean') from.push('gsettings');
  if (typeof idleV !== 'number' || typeof enabledV !== 'boolean') {
    // Fallback for what gsettings did not answer: administrator-set system dconf keyfiles.
    const dir = await ctx.fs.list('/etc/dconf/db/local.d');
    const merged: Record<string, Record<string, string>> = {};
    for (const f of dir.ok ? dir.value : []) {
      const r = await ctx.fs.read(`/etc/dconf/db/local.d/${f}`, 65536);
      if (!r.ok) continue;
      for (const [sec, kv] of Object.entries(parseDconfKeyfile(r.value))) merged[sec] = { ...merged[sec], ...kv };
    }
    const ks = merged['org/gnome/desktop/session']?.['idle-delay'];
    const ke = merged['org/gnome/desktop/screensaver']?.['lock-enabled'];
    const kd = merged['org/gnome/desktop/screensaver']?.['lock-delay'];
    if (ks !== undefined || ke !== undefined) {
      from.push('/etc/dconf/db/local.d');
      // gsettings gave nothing: GNOME's defaults fill keys the keyfile leaves out (idle-delay
      // 300, lock-enabled true, lock-delay 0). gsettings gave one key: only a keyfile value fills the other.
      const none = typeof idleV !== 'number' && typeof enabledV !== 'boolean';
      if (typeof idleV !== 'number') idleV = ks !== undefined ? parseGvariant(ks) : none ? 300 : null;
      if (typeof enabledV !== 'boolean') enabledV = ke !== undefined ? parseGvariant(ke) : none ? true : null;
      if (typeof delayV !== 'number' && kd !== undefined) delayV = parseGvariant(kd);
    }
  }
  const judged = gnomeLock(idleV, enabledV, typeof delayV === 'number' ? delayV : 0);
  // An unreadable idle time behind an enabled lock: the lock exists but its timing is unknown.
  const lock = judged.lockEnabled === true && judged.idleTimeoutSeconds === null ? { lockEnabled: null, idleTimeoutSeconds: null } : judged;
  const what = (r: typeof idle, key: string) => (r.ok ? `${key} answered "${r.stdout.trim().slice(0, 40)}" (not understood)` : describeFailure(`gsettings get ${key}`, r.error));
  let error: string | undefined;
  if (lock.lockEnabled === null) {
    const parts: string[] = [];
    if (typeof enabledV === 'boolean') parts.push(`lock-enabled is ${enabledV}`);
    else parts.push(what(enabled, 'lock-enabled'));
    if (typeof idleV === 'number') parts.push(`idle-delay is ${idleV}`);
    else parts.push(what(idle, 'idle-delay'));
    error = parts.join('; ');
  }
  return { lock, source: from.join(' + ') || 'none', error };
}

/** Cinnamon and MATE keep GNOME-like keys under their own schemas (MATE in minutes). */
async function gsettingsDesktop(ctx: ProbeContext, desktop: 'cinnamon' | 'mate', home: string, uid: number): Promise<{ lock: ReturnType<typeof gnomeLock>; error?: string }> {
  const env = { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, XDG_RUNTIME_DIR: `/run/user/${uid}` };
  const get = async (schema: string, key: string) => {
    const r = await ctx.run('gsettings', ['get', schema, key], { env });
    return r.ok ? parseGvariant(r.stdout) : { error: r.error };
  };
  if (desktop === 'cinnamon') {
    const [idle, enabled, delay] = await Promise.all([
      get('org.cinnamon.desktop.session', 'idle-delay'),
      get('org.cinnamon.desktop.screensaver', 'lock-enabled'),
      get('org.cinnamon.desktop.screensaver', 'lock-delay'),
    ]);
    if (isErr(idle) || isErr(enabled)) return { lock: { lockEnabled: null, idleTimeoutSeconds: null }, error: describeFailure('gsettings (cinnamon)', (isErr(idle) ? idle : (enabled as { error: string | null })).error) };
    return { lock: gnomeLock(idle, enabled, isErr(delay) ? 0 : delay) };
  }
  const [idle, activation, enabled, delay] = await Promise.all([
    get('org.mate.session', 'idle-delay'),
    get('org.mate.screensaver', 'idle-activation-enabled'),
    get('org.mate.screensaver', 'lock-enabled'),
    get('org.mate.screensaver', 'lock-delay'),
  ]);
  if (isErr(idle) || isErr(enabled) || isErr(activation)) return { lock: { lockEnabled: null, idleTimeoutSeconds: null }, error: 'gsettings (mate) could not read org.mate.screensaver' };
  return { lock: mateLock(idle, activation, enabled, isErr(delay) ? 0 : delay) };
}
const isErr = (v: unknown): v is { error: string | null } => typeof v === 'object' && v !== null && 'error' in v;

export const collectLinux: Collector<'screen_lock'> = async (ctx) => {
  const procs = await listProcesses(ctx);
  if (!procs) return { facts: { lockEnabled: null, idleTimeoutSeconds: null, session: null }, reason: 'process list (/proc) is not readable' };
  let found: { session: string; pid: number } | null = null;
  for (const d of DESKTOPS) {
    const p = procs.find((x) => d.procs.includes(x.name));
    if (p) {
      found = { session: d.session, pid: p.pid };
      break;
    }
  }
  if (!found) return { facts: { lockEnabled: null, idleTimeoutSeconds: null, session: 'headless' }, reason: 'no desktop session' };

  const status = await ctx.fs.read(`/proc/${found.pid}/status`, 8192);
  const uid = status.ok ? statusUid(status.value) : null;
  const passwd = await ctx.fs.read('/etc/passwd');
  const user = uid !== null && passwd.ok ? passwdEntry(passwd.value, uid) : null;
  const facts: ScreenLockFacts = { lockEnabled: null, idleTimeoutSeconds: null, session: found.session };
  if (!user || uid === null) return { facts, reason: 'could not identify the desktop session user' };
  const detail: Record<string, unknown> = { user: user.name };

  if (found.session === 'gnome') {
    const g = await gnome(ctx, user.home, uid);
    detail.source = g.source;
    return { facts: { ...facts, ...g.lock }, detail, reason: g.error, needsElevation: g.error && !ctx.elevated ? true : undefined };
  }
  if (found.session === 'kde') {
    const rc = await ctx.fs.read(`${user.home}/.config/kscreenlockerrc`, 65536);
    if (!rc.ok && rc.error !== 'not_found') return { facts, detail, reason: `cannot read kscreenlockerrc (${rc.error})`, needsElevation: !ctx.elevated || undefined };
    const k = parseKscreenlockerrc(rc.ok ? rc.value : '');
    detail.source = rc.ok ? 'kscreenlockerrc' : 'KDE defaults (no kscreenlockerrc)';
    detail.lockOnResume = k.lockOnResume;
    return { facts: { ...facts, lockEnabled: k.lockEnabled, idleTimeoutSeconds: k.idleTimeoutSeconds }, detail };
  }
  if (found.session === 'cinnamon' || found.session === 'mate') {
    const g = await gsettingsDesktop(ctx, found.session, user.home, uid);
    detail.source = 'gsettings';
    return { facts: { ...facts, ...g.lock }, detail, reason: g.error };
  }
  if (found.session === 'xfce') {
    // XFCE locks through xfce4-screensaver (read here) or light-locker/xscreensaver (not read).
    if (!procs.some((p) => p.name.startsWith('xfce4-screensav'))) {
      return { facts, detail, reason: 'XFCE without xfce4-screensaver running (light-locker/xscreensaver settings are not read)' };
    }
    const xml = await ctx.fs.read(`${user.home}/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml`, 65536);
    if (!xml.ok && xml.error !== 'not_found') return { facts, detail, reason: `cannot read xfce4-screensaver.xml (${xml.error})`, needsElevation: !ctx.elevated || undefined };
    detail.source = xml.ok ? 'xfce4-screensaver.xml' : 'xfce4-screensaver defaults (no xfconf file)';
    return { facts: { ...facts, ...parseXfceScreensaver(xml.ok ? xml.value : '') }, detail };
  }
  return { facts, detail, reason: `${found.session} desktop screen lock settings are not supported yet` };
};
