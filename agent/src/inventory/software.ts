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

/** `reg query HKLM\...\Uninstall /s` → DisplayName / DisplayVersion pairs per subkey. */
export function parseRegUninstall(text: string): Software[] {
  const out: Software[] = [];
  for (const block of text.split(/\r?\n(?=HKEY_)/)) {
    const name = /^\s+DisplayName\s+REG_\w+\s+(.+?)\s*$/m.exec(block)?.[1];
    if (!name) continue;
    const version = /^\s+DisplayVersion\s+REG_\w+\s+(.+?)\s*$/m.exec(block)?.[1] ?? null;
    out.push({ name: name.slice(0, 256), version: version?.slice(0, 128) ?? null });
  }
  return out;
}

export async function listSoftware(platform: string, run: RunFn, fs: ProbeFs): Promise<Software[] | undefined> {
  let list: Software[] | undefined;
  if (platform === 'linux') {
    const dpkg = await run('dpkg-query', ['-W', '-f', '${Package}\t${Version}\n']);
    if (dpkg.ok) list = parseTabbedPackages(dpkg.stdout);
    else {
      const rpm = await run('rpm', ['-qa', '--qf', '%{NAME}\t%{VERSION}-%{RELEASE}\n']);
      if (rpm.ok) list = parseTabbedPackages(rpm.stdout);
    }
  } else if (platform === 'darwin') {
    const apps = await fs.list('/Applications');
    if (apps.ok) list = apps.value.filter((a) => a.endsWith('.app')).map((a) => ({ name: a.slice(0, -4), version: null }));
  } else if (platform === 'win32') {
    const keys = ['HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall', 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall'];
    const results = await Promise.all(keys.map((k) => run('reg', ['query', k, '/s'], { maxBytes: 8 * 1024 * 1024 })));
    const all = results.flatMap((r) => (r.ok ? parseRegUninstall(r.stdout) : []));
    if (results.some((r) => r.ok)) list = all;
  }
  return list?.sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_SOFTWARE);
}
