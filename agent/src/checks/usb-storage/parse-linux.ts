/**
 * Linux USB storage policy from configuration files: modprobe.d (blacklist / install
 * overrides for usb-storage and uas), the kernel command line, USBGuard's daemon config
 * and rules. All pure: the collector reads the files.
 */

/** modprobe treats '-' and '_' in module names as the same character. */
const norm = (m: string) => m.replace(/-/g, '_');
/**
 * Only usb_storage counts: uas needs it, but blocking uas alone just makes the kernel
 * fall back to usb-storage (Bulk-Only Transport), so a uas-only line is reported, not counted.
 */
const STORAGE_MODULES = new Set(['usb_storage', 'uas']);
const BLOCKING_MODULE = 'usb_storage';
/**
 * `install <mod> <cmd>` replaces loading with <cmd>: unless the command itself loads a
 * module (modprobe/insmod, e.g. `--ignore-install` wrappers), the driver never loads.
 * /bin/true, /bin/false, /usr/bin/false, `echo blocked`, `exit 1` all refuse.
 */
const LOADS_MODULE = /\b(modprobe|insmod)\b/;

export interface ModprobeFinding {
  file: string;
  line: string;
  kind: 'blacklist' | 'install';
  /** false for lines about uas only: they do not stop usb-storage. */
  blocks: boolean;
}

/** Lines of modprobe.d files that stop usb-storage (or uas) from loading. */
export function parseModprobe(files: { path: string; text: string }[]): ModprobeFinding[] {
  const out: ModprobeFinding[] = [];
  for (const { path, text } of files) {
    for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      const m = /^(blacklist|install)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m || !STORAGE_MODULES.has(norm(m[2]))) continue;
      const blocks = norm(m[2]) === BLOCKING_MODULE;
      if (m[1] === 'blacklist') out.push({ file: path, line, kind: 'blacklist', blocks });
      else if (m[3].trim() && !LOADS_MODULE.test(m[3])) out.push({ file: path, line, kind: 'install', blocks });
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

/**
 * /proc/cmdline: `module_blacklist=usb_storage` is enforced by the kernel (it refuses to
 * load the module by any route); `modprobe.blacklist=` is modprobe's alias blacklist only,
 * as weak as a `blacklist` line. Returns which of the two name usb_storage.
 */
export function cmdlineBlacklist(cmdline: string): { kernel: boolean; modprobe: boolean } {
  const names = (key: string) =>
    cmdline.split(/\s+/).some((t) => {
      const m = new RegExp(`^${key.replace('.', '\\.')}=(.*)$`).exec(t);
      return !!m && m[1].split(',').some((x) => norm(x) === 'usb_storage');
    });
  return { kernel: names('module_blacklist'), modprobe: names('modprobe.blacklist') };
}

/** modules.dep (one `path.ko[.xz|.zst|.gz]: deps` line per module) → is usb-storage built as a module? */
export function modulesDepHasUsbStorage(modulesDep: string): boolean {
  return /(^|\/)usb-storage\.ko(\.\w+)?:/m.test(modulesDep);
}

/** /proc/modules → is usb_storage loaded? */
export function moduleLoaded(procModules: string): boolean {
  return procModules.split('\n').some((l) => l.startsWith('usb_storage '));
}

/**
 * usbguard-daemon.conf → ImplicitPolicyTarget (block and reject both keep a device off);
 * rules → does a rule allow mass storage (interface class 08) for any device, or allow
 * everything? `with-interface none-of { 08:*:* }` excludes storage and does not count.
 */
export function parseUsbguard(daemonConf: string, rules: string): { implicitTarget: string | null; storageAllowedByRule: boolean; blocking: boolean } {
  const t = /^\s*ImplicitPolicyTarget\s*=\s*(\w+)/m.exec(daemonConf)?.[1]?.toLowerCase() ?? null;
  const storageAllowedByRule = rules
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .some((l) => /^allow\b/.test(l) && ((/with-interface\s+(?!none-of)(?:one-of|all-of|equals|equals-ordered)?\s*\{?[^}\n]*\b08:/.test(l) && !/\bid\s+[0-9a-f*]{4}:[0-9a-f]{4}\b/i.test(l)) || /^allow\s*$/.test(l)));
  return { implicitTarget: t, storageAllowedByRule, blocking: (t === 'block' || t === 'reject') && !storageAllowedByRule };
}
