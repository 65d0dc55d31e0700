/**
 * Installed software where it is cheap to list: the package database on Linux (dpkg or
 * rpm), application bundles on macOS, the Uninstall registry keys on Windows. Capped so
 * the inventory stays well under the message size limit.
 */
import type { RunFn } from '../exec/runner.js';
import type { ProbeFs } from '../checks/types.js';

export const MAX_SOFTWARE = 2000;
export type Software = { name: string; version: string | null };

/** `dpkg-query -W -f '${Package}\t${Version}\n'` or `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\n'`. */
export function parseTabbedPackages(text: string): Software[] {
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([n]) => n && n.trim())
    .map(([n, v]) => ({ name: n.trim().slice(0, 256), version: v?.trim() ? v.trim().slice(0, 128) : null }));
}

/**
 * `reg query HKLM\...\Uninstall /s` → DisplayName / DisplayVersion pairs per subkey.
 * Components and updates (SystemComponent=1, a ParentKeyName) are what Programs and
 * Features hides too, so they are skipped.
 */
export function parseRegUninstall(text: string): Software[] {
  const out: Software[] = [];
  for (const block of text.split(/\r?\n(?=HKEY_)/)) {
    const name = /^\s+DisplayName\s+REG_\w+\s+(.+?)\s*$/m.exec(block)?.[1];
    if (!name) continue;
    if (/^\s+SystemComponent\s+REG_DWORD\s+0x0*1\s*$/m.test(block) || /^\s+ParentKeyName\s+REG_SZ\s+\S/m.test(block)) continue;
    const version = /^\s+DisplayVersion\s+REG_\w+\s+(.+?)\s*$/m.exec(block)?.[1] ?? null;
    out.push({ name: name.slice(0, 256), version: version?.slice(0, 128) ?? null });
  }
  return out;
}

/** `pacman -Q` → `name version` lines (Arch). */
export function parsePacmanQ(text: string): Software[] {
  return text
    .split('\n')
    .map((l) => /^(\S+)\s+(\S+)\s*$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1].slice(0, 256), version: m[2].slice(0, 128) }));
}

/** CFBundleShortVersionString from an XML Info.plist (binary plists give null: not worth a process each). */
export function bundleVersion(plist: string): string | null {
  const m = /<key>CFBundleShortVersionString<\/key>\s*<string>([^<]{1,128})<\/string>/.exec(plist);
  return m ? m[1].trim() : null;
}

/** One entry per name+version (the 32- and 64-bit registry views overlap). */
function dedupe(list: Software[]): Software[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${s.name}\u0000${s.version ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export async function listSoftware(platform: string, run: RunFn, fs: ProbeFs): Promise<Software[] | undefined> {
  let list: Software[] | undefined;
  if (platform === 'linux') {
    const dpkg = await run('dpkg-query', ['-W', '-f', '${Package}\t${Version}\n']);
    if (dpkg.ok) list = parseTabbedPackages(dpkg.stdout);
    else {
      const rpm = await run('rpm', ['-qa', '--qf', '%{NAME}\t%{VERSION}-%{RELEASE}\n']);
      if (rpm.ok) list = parseTabbedPackages(rpm.stdout);
      else {
        const pacman = await run('pacman', ['-Q']);
        if (pacman.ok) list = parsePacmanQ(pacman.stdout);
      }
    }
  } else if (platform === 'darwin') {
    // system_profiler SPApplicationsDataType takes seconds to minutes; bundle files are instant.
    const apps = await fs.list('/Applications');
    if (apps.ok) {
      const bundles = apps.value.filter((a) => a.endsWith('.app')).slice(0, 500);
      list = await Promise.all(
        bundles.map(async (a) => {
          const info = await fs.read(`/Applications/${a}/Contents/Info.plist`, 256 * 1024);
          return { name: a.slice(0, -4), version: info.ok ? bundleVersion(info.value) : null };
        }),
      );
    }
  } else if (platform === 'win32') {
    // Per-user installs (browsers, editors) live under HKCU; as a service that is SYSTEM's hive.
    const keys = ['HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall', 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall', 'HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall'];
    const results = await Promise.all(keys.map((k) => run('reg', ['query', k, '/s'], { maxBytes: 8 * 1024 * 1024 })));
    const all = results.flatMap((r) => (r.ok ? parseRegUninstall(r.stdout) : []));
    if (results.some((r) => r.ok)) list = all;
  }
  return list && dedupe(list).sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_SOFTWARE);
}
