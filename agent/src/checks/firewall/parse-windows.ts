/**
 * Windows Defender Firewall profiles. Get-NetFirewallProfile gives Enabled as a GpoBoolean
 * (True/False/NotConfigured; 1/0/2 when serialized raw) and DefaultInboundAction as an
 * Action (NotConfigured/Allow/Block; 0/2/4). NotConfigured inbound means Windows' built-in
 * default, which is Block. netsh is the fallback; its text is translated, so only the
 * languages captured in fixtures are read.
 */
import type { FirewallProfile } from '../../../../shared/src/checks/facts.js';

const enabledOf = (v: unknown): boolean | null => (v === true || v === 1 || v === 'True' ? true : v === false || v === 0 || v === 'False' ? false : null);
const inboundOf = (v: unknown): string | null => (v === 4 || v === 'Block' || v === 0 || v === 'NotConfigured' ? 'block' : v === 2 || v === 'Allow' ? 'allow' : null);

export function parseNetFirewallProfiles(json: string): FirewallProfile[] | null {
  let v: unknown;
  try {
    v = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  const list = (Array.isArray(v) ? v : [v]) as Record<string, unknown>[];
  if (!list.length || !list.every((p) => p && typeof p.Name === 'string')) return null;
  return list.map((p) => ({ name: p.Name as string, enabled: enabledOf(p.Enabled), defaultInbound: inboundOf(p.DefaultInboundAction) }));
}

const PROFILE_HEADERS: [RegExp, string][] = [
  [/^(Domain Profile|Domänenprofil|Profil de domaine)/i, 'Domain'],
  [/^(Private Profile|Privates Profil|Profil privé)/i, 'Private'],
  [/^(Public Profile|Öffentliches Profil|Profil public)/i, 'Public'],
];

/** `netsh advfirewall show allprofiles state` → profiles (state only). */
export function parseNetshAllProfiles(text: string): FirewallProfile[] | null {
  const out: FirewallProfile[] = [];
  let current: string | null = null;
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    const header = PROFILE_HEADERS.find(([re]) => re.test(line));
    if (header) current = header[1];
    const st = /^(State|Status|État)\s+(\S+)/i.exec(line);
    if (st && current) {
      const v = st[2].toUpperCase();
      out.push({ name: current, enabled: ['ON', 'EIN', 'ACTIF'].includes(v) ? true : ['OFF', 'AUS', 'INACTIF'].includes(v) ? false : null, defaultInbound: null });
      current = null;
    }
  }
  return out.length ? out : null;
}

/** Inbound is filtered only if every profile is on and blocks by default. */
export function windowsInboundFiltered(profiles: FirewallProfile[]): boolean | null {
  if (profiles.some((p) => p.enabled === false || p.defaultInbound === 'allow')) return false;
  if (profiles.every((p) => p.enabled === true && p.defaultInbound !== 'allow')) return true;
  return null;
}
