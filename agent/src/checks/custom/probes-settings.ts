/** Setting probes: Windows registry, macOS managed preferences / defaults, sysctl, GNOME gsettings. */
import type { ProbeOf } from '../../../../shared/src/custom-checks/schema.js';
import { listProcesses } from '../../exec/processes.js';
import { parseRegQuery } from '../platform/reg.js';
import { passwdEntry, statusUid } from '../screen-lock/parse-linux.js';
import type { ProbeContext } from '../types.js';
import { readBounded } from './fs.js';
import { configGet, parseGsettingsValue, scalarText, toScalar } from './parse.js';
import type { ProbeObservation } from './types.js';

const NOT_FOUND = /unable to find|does not exist|not found|no such/i;

export async function probeRegistry(p: ProbeOf<'registry'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const r = await ctx.run('reg', ['query', p.key, ...(p.value === '' ? ['/ve'] : ['/v', p.value])]);
  if (!r.ok) {
    if (r.code === 1 && NOT_FOUND.test(r.stderr + r.stdout)) return { missing: true, observed: null, reason: `${p.key}\\${p.value} not set` };
    return { missing: false, observed: null, reason: `reg query failed (${r.error ?? r.code})` };
  }
  const keys = Object.values(parseRegQuery(r.stdout));
  for (const values of keys) {
    const hit = Object.entries(values).find(([n]) => n.toLowerCase() === p.value.toLowerCase());
    if (hit) return { missing: false, observed: { value: hit[1].data, type: hit[1].type } };
  }
  return { missing: true, observed: null, reason: `${p.key}\\${p.value} not set` };
}

export async function probeDefaults(p: ProbeOf<'defaults'>, ctx: ProbeContext): Promise<ProbeObservation> {
  // A configuration profile (MDM) wins over anything the user sets; read it first.
  const managedPath = `/Library/Managed Preferences/${p.domain.startsWith('/') ? p.domain.slice(p.domain.lastIndexOf('/') + 1) : p.domain}.plist`;
  const m = await readBounded(managedPath, ctx.root, 1024 * 1024);
  if (m.ok) {
    let text = m.value.text;
    if (text.startsWith('bplist') && !ctx.root) {
      const c = await ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '--', managedPath]);
      text = c.ok ? c.stdout : '';
    }
    const got = configGet(text, 'plist', [p.key]);
    if (got.found) return { missing: false, observed: { value: got.value, source: 'managed' } };
  }
  if (p.managedOnly) return { missing: true, observed: null, reason: `${p.domain} ${p.key} is not set by a configuration profile` };
  const r = await ctx.run('defaults', ['read', p.domain, p.key]);
  if (!r.ok) {
    if (NOT_FOUND.test(r.stderr)) return { missing: true, observed: null, reason: `${p.domain} ${p.key} is not set` };
    return { missing: false, observed: null, reason: `defaults read failed (${r.error ?? r.code})` };
  }
  return { missing: false, observed: { value: scalarText(r.stdout), source: 'defaults' } };
}

export async function probeSysctl(p: ProbeOf<'sysctl'>, ctx: ProbeContext): Promise<ProbeObservation> {
  if (ctx.platform === 'linux') {
    // /proc/sys under the root prefix: no command, and a namespace's /proc can be bind-mounted there.
    const path = `/proc/sys/${p.name.replace(/\./g, '/')}`;
    const r = await readBounded(path, ctx.root, 64 * 1024);
    if (!r.ok) return { missing: r.missing, observed: null, reason: r.error };
    return { missing: false, observed: { value: scalarText(r.value.text) } };
  }
  const r = await ctx.run('sysctl', ['-n', p.name]);
  if (!r.ok) return NOT_FOUND.test(r.stderr) || /unknown oid/i.test(r.stderr) ? { missing: true, observed: null, reason: `sysctl ${p.name} does not exist` } : { missing: false, observed: null, reason: `sysctl failed (${r.error ?? r.code})` };
  return { missing: false, observed: { value: scalarText(r.stdout) } };
}

/** The graphical session's user (first gnome-shell process): settings are per user. */
async function sessionEnv(ctx: ProbeContext): Promise<Record<string, string> | null> {
  const procs = (await listProcesses(ctx)) ?? [];
  const shell = procs.find((x) => x.name === 'gnome-shell');
  if (!shell) return null;
  const st = await ctx.fs.read(`/proc/${shell.pid}/status`, 8192);
  const uid = st.ok ? statusUid(st.value) : null;
  const pw = uid === null ? null : await ctx.fs.read('/etc/passwd', 1024 * 1024);
  const ent = uid !== null && pw?.ok ? passwdEntry(pw.value, uid) : null;
  return ent ? { HOME: ent.home, XDG_CONFIG_HOME: `${ent.home}/.config`, XDG_RUNTIME_DIR: `/run/user/${uid}` } : null;
}

export async function probeGsettings(p: ProbeOf<'gsettings'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const env = await sessionEnv(ctx);
  const r = await ctx.run('gsettings', ['get', p.schema, p.key], env ? { env } : {});
  if (!r.ok) {
    if (/No such schema|No such key/i.test(r.stderr)) return { missing: true, observed: null, reason: `${p.schema} ${p.key}: ${r.stderr.trim().slice(0, 200)}` };
    return { missing: false, observed: null, reason: `gsettings failed (${r.error ?? r.code})` };
  }
  return { missing: false, observed: { value: toScalar(parseGsettingsValue(r.stdout)), session: env !== null }, detail: env ? undefined : { note: 'no GNOME session: system default value' } };
}
