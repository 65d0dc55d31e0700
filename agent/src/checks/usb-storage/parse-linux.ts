/**
 * Linux USB storage policy from configuration files: modprobe.d (blacklist / install
 * overrides for usb-storage and uas), the kernel command line, USBGuard's daemon config
 * and rules. All pure: the collector reads the files.
 */

/** modprobe treats '-' and '_' in module names as the same character. */
const norm = (m: string) => m.replace(/-/g, '_');
const STORAGE_MODULES = new Set(['usb_storage', 'uas']);
/** `install <mod> <cmd>` where cmd refuses to load: /bin/false, /bin/true, exit 1. */
const REFUSING_INSTALL = /^(\/usr)?\/bin\/(false|true)\b|^(false|true)\b|exit\s+[1-9]/;

export interface ModprobeFinding {
  file: string;
  line: string;
  kind: 'blacklist' | 'install';
}

/** Lines of modprobe.d files that stop usb-storage (or uas) from loading. */
export function parseModprobe(files: { path: string; text: string }[]): ModprobeFinding[] {
  const out: ModprobeFinding[] = [];
  for (const { path, text } of files) {
    for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      const m = /^(blacklist|install)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m || !STORAGE_MODULES.has(norm(m[2]))) continue;
      if (m[1] === 'blacklist') out.push({ file: path, line, kind: 'blacklist' });
      else if (REFUSING_INSTALL.test(m[3])) out.push({ file: path, line, kind: 'install' });
    }
  }
  return out;
}

/**
 * modprobe.d search order: a file in an earlier directory shadows the same name in a
 * later one (so /etc can disable a vendor file in /usr/lib). Returns the effective paths.
 */
export function effectiveModprobeFiles(dirs: { dir: string; names: string[] }[]): string[] {
  const seen = new Map<string, string>();
  for (const { dir, names } of dirs) {
    for (const n of names) if (n.endsWith('.conf') && !seen.has(n)) seen.set(n, `${dir}/${n}`);
  }
  return [...seen.keys()].sort().map((n) => seen.get(n)!);
}

/** /proc/cmdline `modprobe.blacklist=usb_storage,foo` or `module_blacklist=`. */
export function cmdlineBlacklist(cmdline: string): boolean {
  return cmdline.split(/\s+/).some((t) => {
    const m = /^(?:modprobe\.blacklist|module_blacklist)=(.*)$/.exec(t);
    return !!m && m[1].split(',').some((x) => norm(x) === 'usb_storage');
  });
}

/** /proc/modules → is usb_storage loaded? */
export function moduleLoaded(procModules: string): boolean {
  return procModules.split('\n').some((l) => l.startsWith('usb_storage '));
}

/** usbguard-daemon.conf → ImplicitPolicyTarget; rules.conf → does a rule allow mass storage (class 08)? */
export function parseUsbguard(daemonConf: string, rules: string): { implicitTarget: string | null; storageAllowedByRule: boolean } {
  const t = /^\s*ImplicitPolicyTarget\s*=\s*(\w+)/m.exec(daemonConf)?.[1] ?? null;
  const storageAllowedByRule = rules
    .split('\n')
    .some((l) => /^\s*allow\b/.test(l) && (/with-interface\s+(one-of\s+)?\{?[^}\n]*\b08:/.test(l) || /^\s*allow\s*$/.test(l)));
  return { implicitTarget: t, storageAllowedByRule };
}
