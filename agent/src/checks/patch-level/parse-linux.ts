/** Linux package-manager parsers: pending (security) updates, last update, auto updates. */

export interface Pending {
  pending: number;
  security: number | null;
  /** First few package names, for evidence. */
  sample: string[];
  /** Do the repositories publish security classification? (null = could not tell) */
  metadata?: boolean | null;
  /** Build time (ms) of the oldest pending update, when asked (no security metadata). */
  oldestBuiltAt?: number | null;
}

/**
 * `apt-get -s upgrade` → one `Inst` line per package to upgrade:
 * `Inst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])`.
 * The parenthesised origins name the archive; a `-security` archive marks a security fix
 * (Debian-Security:12/…, Ubuntu: jammy-security).
 */
export function parseAptSimulate(text: string): Pending {
  let pending = 0;
  let security = 0;
  const sample: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^Inst (\S+)(?: \[[^\]]*\])? \((.*)\)/.exec(line);
    if (!m) continue;
    pending++;
    if (/security/i.test(m[2])) security++;
    if (sample.length < 20) sample.push(m[1]);
  }
  return { pending, security, sample };
}

/**
 * `apt list --upgradable` → `name/suite[,suite…] version arch [upgradable from: old]`.
 * Same packages as `apt-get -s upgrade` plus held-back and held ones (still pending), at
 * a third of the CPU (no upgrade solver). A `-security` suite among those carrying the
 * candidate (`jammy-updates,jammy-security`, `oldstable-security`) marks a security fix.
 */
export function parseAptList(text: string): Pending {
  let pending = 0;
  let security = 0;
  const sample: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^\s/]+)\/(\S+)\s+\S+\s+\S+.*\[upgradable from:/.exec(line.trim());
    if (!m) continue;
    pending++;
    if (m[2].split(',').some((s) => /-security$|^security$/i.test(s))) security++;
    if (sample.length < 20) sample.push(m[1]);
  }
  return { pending, security, sample };
}

/** /var/log/apt/history.log → end time of the newest transaction that upgraded or installed. */
export function parseAptHistoryLastUpdate(text: string): Date | null {
  let last: Date | null = null;
  for (const block of text.split(/\n\s*\n/)) {
    if (!/^(Upgrade|Install):/m.test(block)) continue;
    const m = /^End-Date:\s*(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})/m.exec(block);
    if (!m) continue;
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    if (!last || d > last) last = d;
  }
  return last;
}

/**
 * apt.conf.d files, in the order apt reads them (lexical), → the effective
 * `APT::Periodic::Unattended-Upgrade` value. Later files override earlier ones. Both the
 * flat form (`APT::Periodic::Unattended-Upgrade "1";`) and nested scopes
 * (`APT { Periodic { Unattended-Upgrade "1"; }; };`) are read; keys are case-insensitive
 * as in apt; `//`, `/* *\/` and `#` comments are skipped.
 */
export function parseAptPeriodic(files: string[]): { unattendedUpgrade: string | null; updatePackageLists: string | null } {
  let unattendedUpgrade: string | null = null;
  let updatePackageLists: string | null = null;
  const TOKEN = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|#[^\n]*|"([^"]*)"|([{};])|([^\s{};"]+)/g;
  for (const text of files) {
    const stack: string[] = [];
    let key: string | null = null;
    for (const m of text.matchAll(TOKEN)) {
      if (m[1] !== undefined) {
        if (key !== null) {
          const full = [...stack, key].filter(Boolean).join('::').toLowerCase();
          if (full === 'apt::periodic::unattended-upgrade') unattendedUpgrade = m[1];
          else if (full === 'apt::periodic::update-package-lists') updatePackageLists = m[1];
        }
        key = null;
      } else if (m[2] === '{') {
        stack.push(key ?? '');
        key = null;
      } else if (m[2] === '}') {
        stack.pop();
        key = null;
      } else if (m[2] === ';') key = null;
      else if (m[3] !== undefined) key = m[3];
    }
  }
  return { unattendedUpgrade, updatePackageLists };
}

/** apt skips these names in its .d directories (Dir::Ignore-Files-Silently). */
export function aptReadsFile(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && !/(~|\.disabled|\.bak|\.dpkg-[a-z]+|\.ucf-[a-z]+|\.save|\.orig|\.distUpgrade)$/.test(name);
}

/** `dnf -q check-update` (exit 100 when updates exist) → package lines `name.arch  version  repo`. */
export function parseDnfCheckUpdate(text: string): Pending {
  const sample: string[] = [];
  let pending = 0;
  // dnf4/yum wrap a name wider than its column: `name.arch` alone, then the indented
  // `version  repo` on the next line. Rejoin those before matching.
  const lines = text.split('\n').reduce<string[]>((acc, line) => {
    if (/^\s+\S+\s+\S+\s*$/.test(line) && acc.length && /^\S+\.\w+\s*$/.test(acc[acc.length - 1])) acc[acc.length - 1] = `${acc[acc.length - 1].trim()} ${line.trim()}`;
    else acc.push(line);
    return acc;
  }, []);
  for (const line of lines) {
    if (/^(Obsoleting|Security:)/.test(line)) break;
    const m = /^(\S+)\.(\w+)\s+\S+\s+\S+\s*$/.exec(line);
    if (!m) continue;
    pending++;
    if (sample.length < 20) sample.push(m[1]);
  }
  return { pending, security: null, sample };
}

/**
 * `dnf -q updateinfo list --security` → distinct packages with a security advisory.
 * dnf4: `RHSA-2024:1234 Important/Sec. kernel-5.14.0-362.24.1.el9_3.x86_64`;
 * dnf5 (Fedora 41+): `FEDORA-2024-5f1a security Moderate openssl-libs-1:3.2.2-3.fc41.x86_64 2024-07-30 …`.
 * The package is the column shaped like a NEVRA (name-version-release.arch), wherever it is.
 */
export function parseDnfUpdateinfo(text: string): number {
  const pkgs = new Set<string>();
  for (const line of text.split('\n')) {
    if (!/\/Sec\.|\ssecurity\s/i.test(line)) continue;
    const nevra = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .find((t) => /^[^\s/]+-[^-\s]+-[^-\s]+\.(x86_64|noarch|aarch64|i686|i386|ppc64le|s390x|armv7hl|src)$/.test(t));
    if (nevra) pkgs.add(nevra);
  }
  return pkgs.size;
}

/** `zypper --xmlout list-updates` / `list-patches --category security` → counts. */
export function parseZypperXml(text: string): { packages: number; securityPatches: number; securityPatchesSeen: number; sample: string[] } {
  let packages = 0;
  let securityPatches = 0;
  let securityPatchesSeen = 0;
  const sample: string[] = [];
  for (const m of text.matchAll(/<update\b([^>]*)>/g)) {
    const attrs = m[1];
    const kind = /\bkind="([^"]*)"/.exec(attrs)?.[1];
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1] ?? '?';
    if (kind === 'package') {
      packages++;
      if (sample.length < 20) sample.push(name);
    } else if (kind === 'patch' && /\bcategory="security"/.test(attrs)) {
      securityPatchesSeen++;
      if (!/\bstatus="(applied|not-needed)"/.test(attrs)) securityPatches++;
    }
  }
  return { packages, securityPatches, securityPatchesSeen, sample };
}

/** `checkupdates` (pacman-contrib) → `name old -> new` lines. */
export function parseCheckupdates(text: string): Pending {
  const lines = text.split('\n').filter((l) => /^\S+ \S+ -> \S+$/.test(l.trim()));
  return { pending: lines.length, security: null, sample: lines.slice(0, 20).map((l) => l.split(' ')[0]) };
}

/** /etc/os-release → name, version id, pretty name. */
export function parseOsRelease(text: string): { name: string | null; versionId: string | null; pretty: string | null; id: string | null; idLike: string[] } {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return { name: kv.NAME ?? null, versionId: kv.VERSION_ID ?? null, pretty: kv.PRETTY_NAME ?? null, id: kv.ID ?? null, idLike: (kv.ID_LIKE ?? '').split(/\s+/).filter(Boolean) };
}

/**
 * A file in /var/lib/apt/lists that belongs to a security suite: the file name encodes the
 * URI and suite (`deb.debian.org_debian-security_dists_bookworm-security_InRelease`,
 * `security.ubuntu.com_ubuntu_dists_jammy-security_main_binary-amd64_Packages`).
 */
export function aptListIsSecurity(name: string): boolean {
  return /_dists_[^_]*-security_/.test(name) || /_dists_[^_]*security[^_]*_/.test(name);
}

/**
 * `pro status --format json` (Ubuntu Pro client): ESM counts when the machine is attached,
 * the contract has not expired and the `esm-infra` service is entitled ("yes") and
 * "enabled". Shape: `{ attached, expires, services: [{ name, entitled, status }] }`.
 */
export function parseProStatus(json: string): { kind: 'ubuntu-pro-esm'; active: boolean | null; expires: string | null; detail: string } {
  let d: { attached?: unknown; expires?: unknown; services?: unknown };
  try {
    d = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'ubuntu-pro-esm', active: null, expires: null, detail: 'pro status output not understood' };
  }
  if (!d || typeof d !== 'object' || typeof d.attached !== 'boolean') return { kind: 'ubuntu-pro-esm', active: null, expires: null, detail: 'pro status output not understood' };
  const expires = typeof d.expires === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d.expires) ? d.expires.slice(0, 10) : null;
  if (!d.attached) return { kind: 'ubuntu-pro-esm', active: false, expires: null, detail: 'not attached to an Ubuntu Pro subscription' };
  const svc = Array.isArray(d.services) ? (d.services as { name?: unknown; entitled?: unknown; status?: unknown }[]).find((x) => x && x.name === 'esm-infra') : undefined;
  if (!svc) return { kind: 'ubuntu-pro-esm', active: false, expires, detail: 'esm-infra not listed' };
  const active = svc.entitled === 'yes' && svc.status === 'enabled';
  return { kind: 'ubuntu-pro-esm', active, expires, detail: `esm-infra ${String(svc.status)} (entitled: ${String(svc.entitled)})` };
}

/**
 * `dnf repoquery --upgrades --queryformat '%{buildtime}\n'` → the oldest build time in ms
 * (epoch seconds per line; anything else is ignored), or null when no line is a plausible time.
 */
export function oldestBuildTime(text: string): number | null {
  let min: number | null = null;
  // dnf4 ends each entry with a newline itself and may print the format's "\n" literally; dnf5 interprets it.
  for (const t of text.split(/\\n|\s+/)) {
    if (!/^\d{9,11}$/.test(t)) continue;
    const ms = Number(t) * 1000;
    if (ms < Date.UTC(2000, 0, 1)) continue;
    if (min === null || ms < min) min = ms;
  }
  return min;
}
