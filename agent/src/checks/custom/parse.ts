/**
 * Pure parsers for custom-check probes: text in, observed values out. Each is tested on
 * fixtures (fixtures/) whose source is named in the test.
 */
import { parse as parseYaml } from 'yaml';
import { asDict, parsePlist, type PlistValue } from '../platform/plist.js';
import { parseRegQuery } from '../platform/reg.js';

export type Scalar = string | number | boolean | null;

/** A value the conditions can compare: scalars as is, dates as ISO, arrays/objects as JSON (≤ 1 KiB). */
export function toScalar(v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.slice(0, 1024);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v).slice(0, 1024);
}

/**
 * INI: `key = value` / `key: value` lines, `[section]` headers, `;`/`#` comments. `Section.key`
 * looks in a section, a bare `key` before any section. Later assignments win (as most readers do).
 */
export function iniGet(text: string, keyPath: string[]): { found: boolean; value: Scalar } {
  const [section, key] = keyPath.length >= 2 ? [keyPath.slice(0, -1).join('.'), keyPath[keyPath.length - 1]] : ['', keyPath[0]];
  let cur = '';
  let out: { found: boolean; value: Scalar } = { found: false, value: null };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      cur = sec[1].trim();
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m && cur.toLowerCase() === section.toLowerCase() && m[1].toLowerCase() === key.toLowerCase()) out = { found: true, value: m[2].replace(/^"(.*)"$/, '$1') };
  }
  return out;
}

/** Walk a parsed JSON/YAML/plist document by keys (array indexes as numbers in strings). */
export function walk(doc: unknown, keyPath: string[]): { found: boolean; value: Scalar } {
  let v: unknown = doc;
  for (const k of keyPath) {
    if (Array.isArray(v) && /^\d+$/.test(k) && Number(k) < v.length) v = v[Number(k)];
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && Object.prototype.hasOwnProperty.call(v, k)) v = (v as Record<string, unknown>)[k];
    else return { found: false, value: null };
  }
  return { found: true, value: toScalar(v) };
}

export type ConfigFormat = 'ini' | 'json' | 'yaml' | 'plist';

/** A key from a config file's text; `error` when the text does not parse in that format. */
export function configGet(text: string, format: ConfigFormat, keyPath: string[]): { found: boolean; value: Scalar; error?: string } {
  if (format === 'ini') return iniGet(text, keyPath);
  try {
    if (format === 'json') return walk(JSON.parse(text), keyPath);
    if (format === 'yaml') return walk(parseYaml(text, { maxAliasCount: 100 }), keyPath);
    const p = parsePlist(text);
    if (p === undefined) return { found: false, value: null, error: 'not an XML property list' };
    return walk(p, keyPath);
  } catch (e) {
    return { found: false, value: null, error: `not valid ${format.toUpperCase()}: ${(e as Error).message.split('\n')[0].slice(0, 200)}` };
  }
}

/** sysctl / gsettings text value → number when numeric, else the trimmed string. */
export function scalarText(text: string): Scalar {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

/** `gsettings get` prints a GVariant: `true`, `uint32 300`, `'string'`, `@as []`. */
export function parseGsettingsValue(text: string): Scalar {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  const num = /^(?:u?int(?:16|32|64)|byte|double)?\s*(-?\d+(?:\.\d+)?)$/.exec(t);
  if (num) return Number(num[1]);
  const str = /^'(.*)'$/s.exec(t);
  if (str) return str[1].replace(/\\'/g, "'");
  return t;
}

export interface PackageHit {
  name: string;
  version: string;
}

/** `dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\t${Version}\n' names…`: installed = status "ii" (or "hi"). */
export function parseDpkgQuery(text: string): PackageHit[] {
  const out: PackageHit[] = [];
  for (const line of text.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && version && /^[ih]i/.test(status ?? '')) out.push({ name, version: version.trim() });
  }
  return out;
}

/** `rpm -q --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n' names…`; "package x is not installed" lines are skipped. */
export function parseRpmQuery(text: string): PackageHit[] {
  const out: PackageHit[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^\t\s]+)\t(\d+):(.+)$/.exec(line.trim());
    if (m) out.push({ name: m[1], version: m[2] === '0' ? m[3] : `${m[2]}:${m[3]}` });
  }
  return out;
}

/** `reg query <Uninstall key> /s` → installed programs (DisplayName, DisplayVersion). */
export function parseUninstallKeys(text: string): PackageHit[] {
  const out: PackageHit[] = [];
  for (const values of Object.values(parseRegQuery(text))) {
    const name = Object.entries(values).find(([k]) => k.toLowerCase() === 'displayname')?.[1].data;
    const version = Object.entries(values).find(([k]) => k.toLowerCase() === 'displayversion')?.[1].data;
    if (typeof name === 'string' && name) out.push({ name, version: typeof version === 'string' ? version : String(version ?? '') });
  }
  return out;
}

/** Program names match case-insensitively, as the whole name or its first words ("1Password" ~ "1Password 8"). */
export function matchesProgram(displayName: string, wanted: string): boolean {
  const d = displayName.toLowerCase();
  const w = wanted.toLowerCase();
  return d === w || d.startsWith(`${w} `) || d.startsWith(`${w}-`);
}

/** An app bundle's Info.plist (XML) → its short version. */
export function bundleVersion(xml: string): string | null {
  const d = asDict(parsePlist(xml) as PlistValue | undefined);
  const v = d?.CFBundleShortVersionString ?? d?.CFBundleVersion;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/** /proc/net/tcp and tcp6 (Documentation/networking/proc_net_tcp.rst): local ports in state 0A (LISTEN). */
export function parseProcNetTcp(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\b/.exec(line);
    if (m && m[2].toUpperCase() === '0A') ports.add(parseInt(m[1], 16));
  }
  return [...ports].sort((a, b) => a - b);
}

/** macOS `netstat -an -p tcp`: `tcp4 0 0 *.22 *.* LISTEN` (address and port joined by a dot). */
export function parseNetstatDarwin(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const m = /^tcp[46]{0,2}\s+\d+\s+\d+\s+\S*?[.:](\d+)\s+\S+\s+LISTEN\s*$/.exec(line.trim());
    if (m) ports.add(Number(m[1]));
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * `systemctl is-enabled` prints enabled/static/alias/indirect/generated for units that start,
 * disabled/masked/… otherwise; `systemctl is-active` prints active when running.
 */
export function systemdEnabled(text: string): boolean | null {
  const t = text.trim().split('\n')[0];
  if (/^(enabled|enabled-runtime|static|alias|indirect|generated)$/.test(t)) return true;
  if (/^(disabled|masked|masked-runtime|linked|linked-runtime|transient|bad)$/.test(t)) return false;
  return null;
}

/** `sc query <name>` → running (STATE numeric code 4 = RUNNING; the code is not localized). */
export function scRunning(text: string): boolean | null {
  const m = /STATE\s*:\s*(\d+)/.exec(text);
  return m ? m[1] === '4' : null;
}

/** `sc qc <name>` → enabled (START_TYPE 0 boot, 1 system, 2 auto start = enabled; 3 demand, 4 disabled). */
export function scEnabled(text: string): boolean | null {
  const m = /START_TYPE\s*:\s*(\d+)/.exec(text);
  return m ? ['0', '1', '2'].includes(m[1]) : null;
}

/** `launchctl print system/<label>`: `state = running`. */
export function launchdRunning(text: string): boolean {
  return /^\s*state = running\s*$/m.test(text);
}

/** `launchctl print-disabled system`: `"label" => disabled` (or `=> true` on older macOS) lines. */
export function launchdDisabled(text: string, label: string): boolean {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`"${esc}"\\s*=>\\s*(disabled|true)`).test(text);
}
