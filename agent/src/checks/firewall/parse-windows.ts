/**
 * Windows Defender Firewall profiles. Get-NetFirewallProfile gives Enabled as a GpoBoolean
 * (True/False/NotConfigured; 1/0/2 when serialized raw) and DefaultInboundAction as an
 * Action (NotConfigured/Allow/Block; 0/2/4). NotConfigured inbound means Windows' built-in
 * default, which is Block. netsh is the fallback; its text is translated, so only the
 * languages captured in fixtures are read.
 */
import type { FirewallProfile } from '../../../../shared/src/checks/facts.js';

/** Values arrive as booleans, enum numbers, enum names or numeric strings, by PowerShell version and projection. */
const token = (v: unknown): string => (typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
// GpoBoolean: False 0, True 1, NotConfigured 2 (not set in this store: unknown here).
const enabledOf = (v: unknown): boolean | null => {
  const t = token(v);
  return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : null;
};
// Action: NotConfigured 0 (Windows' built-in default: block), Allow 2, Block 4.
const inboundOf = (v: unknown): string | null => {
  const t = token(v);
  return t === '4' || t === 'block' || t === '0' || t === 'notconfigured' ? 'block' : t === '2' || t === 'allow' ? 'allow' : null;
};

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

// Headers end with ':' and may carry a prefix ("Paramètres Profil de domaine :").
const PROFILE_HEADERS: [RegExp, string][] = [
  [/(Domain Profile|Domänenprofil|Profil de domaine|Perfil de dominio).*:\s*$/i, 'Domain'],
  [/(Private Profile|Privates Profil|Profil privé|Perfil privado).*:\s*$/i, 'Private'],
  [/(Public Profile|Öffentliches Profil|Profil public|Perfil público).*:\s*$/i, 'Public'],
];
// Spanish Windows prints the verb: "Estado   ACTIVAR" / "DESACTIVAR".
const ON = new Set(['ON', 'EIN', 'ACTIF', 'ACTIVADO', 'ACTIVO', 'ACTIVAR']);
const OFF = new Set(['OFF', 'AUS', 'INACTIF', 'DESACTIVADO', 'INACTIVO', 'DESACTIVAR']);

/**
 * `netsh advfirewall show allprofiles` → profiles. The state word is translated (known
 * languages only, else unknown); the "Firewall Policy" value (`BlockInbound,AllowOutbound`)
 * is not, so the default inbound action is read from its tokens in any language.
 */
export function parseNetshAllProfiles(text: string): FirewallProfile[] | null {
  const out: FirewallProfile[] = [];
  let current: FirewallProfile | null = null;
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    const header = PROFILE_HEADERS.find(([re]) => re.test(line));
    if (header) {
      current = { name: header[1], enabled: null, defaultInbound: null };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const st = /^(State|Status|État|Estado)\s+(\S+)\s*$/i.exec(line);
    if (st) {
      const v = st[2].toUpperCase();
      current.enabled = ON.has(v) ? true : OFF.has(v) ? false : null;
    }
    const pol = /\b(BlockInboundAlways|BlockInbound|AllowInbound|NotConfigured)\s*,\s*(\w+Outbound|NotConfigured)\s*$/i.exec(line);
    if (pol) current.defaultInbound = /^allow/i.test(pol[1]) ? 'allow' : 'block';
  }
  return out.length && out.some((p) => p.enabled !== null) ? out : null;
}

/** Inbound is filtered only if every profile is on and blocks by default. */
export function windowsInboundFiltered(profiles: FirewallProfile[]): boolean | null {
  if (profiles.some((p) => p.enabled === false || p.defaultInbound === 'allow')) return false;
  // Windows always has Domain, Private and Public: fewer means cut-off or foreign output,
  // and a profile we did not see may be the one that is off.
  const seen = new Set(profiles.map((p) => p.name.toLowerCase()));
  if (!['domain', 'private', 'public'].every((n) => seen.has(n))) return null;
  if (profiles.every((p) => p.enabled === true && p.defaultInbound !== 'allow')) return true;
  return null;
}
