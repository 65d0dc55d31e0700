/**
 * Install-time enrollment settings for `posture-agent run --enroll-config SOURCE`: a package
 * (deb, rpm, msi, macOS tarball) writes the collector URL, enrollment secret and optional owner
 * at install time, and the service enrolls on its first start.
 *
 * SOURCE is either
 *  - a KEY=VALUE file (/etc/default/posture-agent, /etc/sysconfig/posture-agent, the macOS
 *    /Library/Application Support/Posture/enroll.conf) with keys SERVER, SECRET, OWNER;
 *    `#` comments, blank lines, optional `export `, and single or double quotes are accepted
 *    (the shell-compatible subset an MDM script writes); the agent parses it, no shell runs it;
 *  - `registry:HKLM\SOFTWARE\Posture\Agent` on Windows: string values Server, Secret, Owner
 *    written by the MSI from its public properties SERVER, SECRET, OWNER (read with reg.exe).
 *
 * Errors name the field. A missing SERVER/SECRET is `missing` (not configured yet), not invalid.
 */
import { readFileSync } from 'node:fs';
import { createRunner } from '../exec/runner.js';

export interface EnrollSettings {
  server: string;
  secret: string;
  owner?: string;
}

export type EnrollSettingsResult =
  | { ok: true; settings: EnrollSettings }
  | { ok: false; missing: true; reason: string }
  | { ok: false; missing: false; reason: string };

const KEY_LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** Parses the KEY=VALUE subset; throws with the line number on anything else. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = KEY_LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: expected KEY=VALUE`);
    let v = m[2].trim();
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) v = v.slice(1, -1);
    else if (/^["']/.test(v)) throw new Error(`line ${i + 1}: ${m[1]} has an unterminated quote`);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]] = v;
  });
  return out;
}

/** `reg query KEY` output → { valueName: data } for REG_SZ / REG_EXPAND_SZ values. */
export function parseRegQuery(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+REG_(?:EXPAND_)?SZ\s+(.*?)\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Validates raw keys (SERVER/SECRET/OWNER, case-insensitive) into settings. */
export function enrollSettings(raw: Record<string, string>, source: string): EnrollSettingsResult {
  const get = (k: string) => Object.entries(raw).find(([key]) => key.toUpperCase() === k)?.[1]?.trim() ?? '';
  const server = get('SERVER');
  const secret = get('SECRET');
  const owner = get('OWNER');
  if (!server || !secret) return { ok: false, missing: true, reason: `${source}: ${!server ? 'SERVER' : 'SECRET'} is not set` };
  if (!/^https?:\/\/[^/\s]+/i.test(server)) return { ok: false, missing: false, reason: `${source}: SERVER must be the collector's URL starting with https:// or http:// (got "${server}")` };
  if (owner && !/^[^\s@]{1,200}@[^\s@]{1,200}$/.test(owner)) return { ok: false, missing: false, reason: `${source}: OWNER must be the owner's email address (got "${owner}")` };
  return { ok: true, settings: { server, secret, ...(owner ? { owner } : {}) } };
}

/** Reads and validates SOURCE (a file path, or `registry:KEY` on Windows). */
export async function readEnrollSettings(source: string): Promise<EnrollSettingsResult> {
  if (source.startsWith('registry:')) {
    const key = source.slice('registry:'.length);
    const r = await createRunner({ defaultTimeoutMs: 15_000 }).run('reg', ['query', key]);
    if (!r.ok) return { ok: false, missing: true, reason: `${key}: cannot read the registry key (${r.error})` };
    return enrollSettings(parseRegQuery(r.stdout), key);
  }
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (e) {
    return { ok: false, missing: true, reason: `${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  try {
    return enrollSettings(parseEnvFile(text), source);
  } catch (e) {
    return { ok: false, missing: false, reason: `${source}: ${(e as Error).message}` };
  }
}
