/** Linux package-manager parsers: pending (security) updates, last update, auto updates. */

export interface Pending {
  pending: number;
  security: number | null;
  /** First few package names, for evidence. */
  sample: string[];
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
 * `APT::Periodic::Unattended-Upgrade` value. Later files override earlier ones.
 */
export function parseAptPeriodic(files: string[]): { unattendedUpgrade: string | null; updatePackageLists: string | null } {
  let unattendedUpgrade: string | null = null;
  let updatePackageLists: string | null = null;
  for (const text of files) {
    const clean = text.replace(/\/\/.*$/gm, '').replace(/#.*$/gm, '');
    for (const m of clean.matchAll(/APT::Periodic::(Unattended-Upgrade|Update-Package-Lists)\s+"([^"]*)"\s*;/g)) {
      if (m[1] === 'Unattended-Upgrade') unattendedUpgrade = m[2];
      else updatePackageLists = m[2];
    }
  }
  return { unattendedUpgrade, updatePackageLists };
}

/** `dnf -q check-update` (exit 100 when updates exist) → package lines `name.arch  version  repo`. */
export function parseDnfCheckUpdate(text: string): Pending {
  const sample: string[] = [];
  let pending = 0;
  for (const line of text.split('\n')) {
    if (/^(Obsoleting|Security:)/.test(line)) break;
    const m = /^(\S+)\.(\w+)\s+\S+\s+\S+\s*$/.exec(line);
    if (!m) continue;
    pending++;
    if (sample.length < 20) sample.push(m[1]);
  }
  return { pending, security: null, sample };
}

/** `dnf -q updateinfo list --security` → `ADVISORY  Severity/Sec.  nevra`; counts distinct packages. */
export function parseDnfUpdateinfo(text: string): number {
  const pkgs = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\S+\s+\S*\/?Sec\.\s+(\S+)/.exec(line) ?? /^\S+\s+security\s+(\S+)/i.exec(line);
    if (m) pkgs.add(m[1]);
  }
  return pkgs.size;
}

/** `zypper --xmlout list-updates` / `list-patches --category security` → counts. */
export function parseZypperXml(text: string): { packages: number; securityPatches: number; sample: string[] } {
  let packages = 0;
  let securityPatches = 0;
  const sample: string[] = [];
  for (const m of text.matchAll(/<update\b([^>]*)>/g)) {
    const attrs = m[1];
    const kind = /\bkind="([^"]*)"/.exec(attrs)?.[1];
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1] ?? '?';
    if (kind === 'package') {
      packages++;
      if (sample.length < 20) sample.push(name);
    } else if (kind === 'patch' && /\bcategory="security"/.test(attrs) && !/\bstatus="(applied|not-needed)"/.test(attrs)) securityPatches++;
  }
  return { packages, securityPatches, sample };
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
