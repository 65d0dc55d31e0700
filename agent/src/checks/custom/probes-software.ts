/** Software probes: package installed (+version), process running, service enabled+running, TCP port listening. */
import type { ProbeOf } from '../../../../shared/src/custom-checks/schema.js';
import { compareVersionStrings } from '../../../../shared/src/custom-checks/version.js';
import { listProcesses } from '../../exec/processes.js';
import { runPowerShell } from '../platform/powershell.js';
import type { ProbeContext } from '../types.js';
import { readBounded } from './fs.js';
import {
  bundleVersion, launchdDisabled, launchdRunning, matchesProgram, parseDpkgQuery, parseNetstatDarwin, parseProcNetTcp,
  parseRpmQuery, parseUninstallKeys, scEnabled, scRunning, systemdEnabled, type PackageHit,
} from './parse.js';
import type { ProbeObservation } from './types.js';

const UNINSTALL_KEYS = [
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
];

function packageResult(hits: PackageHit[], names: string[], source: string): ProbeObservation {
  // Names are in preference order; the first installed one is reported.
  for (const n of names) {
    const h = hits.filter((x) => x.name.toLowerCase() === n.toLowerCase() || matchesProgram(x.name, n));
    if (h.length) {
      const best = h.sort((a, b) => compareVersionStrings(b.version, a.version))[0];
      return { missing: false, observed: { installed: true, name: best.name, version: best.version || null }, detail: { source } };
    }
  }
  return { missing: false, observed: { installed: false, name: null, version: null }, detail: { source } };
}

async function linuxPackages(p: ProbeOf<'package'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const tried: string[] = [];
  if (p.manager !== 'rpm') {
    const r = await ctx.run('dpkg-query', ['-W', '-f', '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', ...p.names]);
    // Exit 1 = some names unknown; what was found is still on stdout.
    if (r.ok || (r.code === 1 && r.error === 'failed')) return packageResult(parseDpkgQuery(r.stdout), p.names, 'dpkg');
    tried.push(`dpkg-query: ${r.error}`);
  }
  if (p.manager !== 'dpkg') {
    const r = await ctx.run('rpm', ['-q', '--qf', '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n', '--', ...p.names]);
    if (r.ok || (r.code !== null && r.code > 0 && r.error === 'failed')) return packageResult(parseRpmQuery(r.stdout), p.names, 'rpm');
    tried.push(`rpm: ${r.error}`);
  }
  return { missing: false, observed: null, reason: `no package manager could be queried (${tried.join('; ')})` };
}

async function darwinPackages(p: ProbeOf<'package'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const hits: PackageHit[] = [];
  if (p.manager !== 'apps') {
    // Homebrew's Cellar/Caskroom directories, read directly: `brew` refuses to run as root.
    for (const prefix of ['/opt/homebrew', '/usr/local']) {
      for (const kind of ['Cellar', 'Caskroom']) {
        for (const n of p.names) {
          const d = await ctx.fs.list(`${prefix}/${kind}/${n}`);
          if (d.ok) for (const v of d.value.filter((x) => !x.startsWith('.'))) hits.push({ name: n, version: v });
        }
      }
    }
  }
  if (p.manager !== 'homebrew') {
    for (const n of p.names) {
      for (const dir of ['/Applications', '/Applications/Utilities']) {
        const r = await readBounded(`${dir}/${n}.app/Contents/Info.plist`, ctx.root, 1024 * 1024);
        if (!r.ok) continue;
        let xml = r.value.text;
        if (xml.startsWith('bplist') && !ctx.root) {
          const c = await ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '--', `${dir}/${n}.app/Contents/Info.plist`]);
          xml = c.ok ? c.stdout : '';
        }
        hits.push({ name: n, version: bundleVersion(xml) ?? '' });
      }
    }
  }
  return packageResult(hits, p.names, p.manager ?? 'homebrew+apps');
}

async function windowsPackages(p: ProbeOf<'package'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const hits: PackageHit[] = [];
  let anyOk = false;
  for (const key of UNINSTALL_KEYS) {
    const r = await ctx.run('reg', ['query', key, '/s'], { maxBytes: 8 * 1024 * 1024 });
    if (r.ok) {
      anyOk = true;
      hits.push(...parseUninstallKeys(r.stdout));
    }
  }
  if (!anyOk) return { missing: false, observed: null, reason: 'installed programs could not be read (reg query Uninstall)' };
  return packageResult(hits, p.names, 'windows-installed-programs');
}

export function probePackage(p: ProbeOf<'package'>, ctx: ProbeContext): Promise<ProbeObservation> {
  return ctx.platform === 'linux' ? linuxPackages(p, ctx) : ctx.platform === 'darwin' ? darwinPackages(p, ctx) : windowsPackages(p, ctx);
}

export async function probeProcess(p: ProbeOf<'process'>, ctx: ProbeContext): Promise<ProbeObservation> {
  let names: string[] | null;
  if (ctx.platform === 'win32') {
    const r = await runPowerShell(ctx, 'Get-Process | ForEach-Object { $_.ProcessName }');
    names = r.ok ? r.stdout.split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : null;
  } else names = (await listProcesses(ctx))?.map((x) => x.name) ?? null;
  if (!names) return { missing: false, observed: null, reason: 'the process list could not be read' };
  // Linux comm is cut to 15 characters by the kernel; compare on that length.
  const norm = (s: string) => (ctx.platform === 'linux' ? s.slice(0, 15) : s.replace(/\.exe$/i, '')).toLowerCase();
  const wanted = p.names.map(norm);
  const count = names.filter((n) => wanted.includes(norm(n))).length;
  return { missing: false, observed: { running: count > 0, count } };
}

export async function probeService(p: ProbeOf<'service'>, ctx: ProbeContext): Promise<ProbeObservation> {
  if (ctx.platform === 'linux') {
    const [en, act] = await Promise.all([ctx.run('systemctl', ['is-enabled', '--', p.name]), ctx.run('systemctl', ['is-active', '--', p.name])]);
    if (en.error === 'not_found' && !en.stdout) return { missing: false, observed: null, reason: 'systemctl not found (not a systemd system)' };
    // A container or chroot without systemd as PID 1 cannot say whether a unit runs.
    if (/not been booted with systemd|Failed to connect to bus/i.test(en.stderr + act.stderr)) return { missing: false, observed: null, reason: 'systemd is not running (no service manager to ask)' };
    const enabled = systemdEnabled(en.stdout);
    const running = act.stdout.trim() === 'active';
    if (enabled === null && /not-found|No such file/i.test(en.stdout + en.stderr)) return { missing: false, observed: { enabled: false, running: false, exists: false } };
    return { missing: false, observed: { enabled: enabled ?? false, running, exists: true } };
  }
  if (ctx.platform === 'darwin') {
    const [pr, dis] = await Promise.all([ctx.run('launchctl', ['print', `system/${p.name}`]), ctx.run('launchctl', ['print-disabled', 'system'])]);
    if (!pr.ok) return { missing: false, observed: { enabled: false, running: false, exists: false } };
    return { missing: false, observed: { enabled: dis.ok ? !launchdDisabled(dis.stdout, p.name) : true, running: launchdRunning(pr.stdout), exists: true } };
  }
  const [q, qc] = await Promise.all([ctx.run('sc', ['query', p.name]), ctx.run('sc', ['qc', p.name])]);
  if (q.code === 1060 || qc.code === 1060) return { missing: false, observed: { enabled: false, running: false, exists: false } };
  const running = scRunning(q.stdout);
  const enabled = scEnabled(qc.stdout);
  if (running === null || enabled === null) return { missing: false, observed: null, reason: `sc could not query ${p.name} (${q.error ?? q.code})` };
  return { missing: false, observed: { enabled, running, exists: true } };
}

export async function probePort(p: ProbeOf<'port'>, ctx: ProbeContext): Promise<ProbeObservation> {
  let ports: number[] | null = null;
  if (ctx.platform === 'linux') {
    const [v4, v6] = await Promise.all([readBounded('/proc/net/tcp', ctx.root, 8 * 1024 * 1024), readBounded('/proc/net/tcp6', ctx.root, 8 * 1024 * 1024)]);
    if (v4.ok || v6.ok) ports = [...(v4.ok ? parseProcNetTcp(v4.value.text) : []), ...(v6.ok ? parseProcNetTcp(v6.value.text) : [])];
  } else if (ctx.platform === 'darwin') {
    const r = await ctx.run('netstat', ['-an', '-p', 'tcp']);
    if (r.ok) ports = parseNetstatDarwin(r.stdout);
  } else {
    // The port is a validated integer; the script text is otherwise constant.
    const r = await runPowerShell(ctx, `@(Get-NetTCPConnection -State Listen -LocalPort ${Math.trunc(p.port)} -ErrorAction SilentlyContinue).Count`);
    if (r.ok && /^\d+\s*$/.test(r.stdout.trim())) ports = Number(r.stdout.trim()) > 0 ? [p.port] : [];
  }
  if (!ports) return { missing: false, observed: null, reason: 'listening sockets could not be read' };
  return { missing: false, observed: { listening: ports.includes(p.port) } };
}
