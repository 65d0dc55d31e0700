import { asDict, parsePlist } from '../platform/plist.js';

/**
 * macOS application firewall (socketfilterfw) and pf. socketfilterfw's wording changed
 * across releases ("Block all DISABLED!" on 12, "Firewall has block all state set to
 * disabled." on 14), so each parser accepts both shapes.
 */

/**
 * On a Mac whose firewall is set by a configuration profile, socketfilterfw may answer a
 * getter with "Firewall settings cannot be modified from command line on managed Mac
 * computers." instead of the state; the profile then holds the answer.
 */
export const ALF_MANAGED_REFUSAL = /cannot be modified from command line on managed Mac/i;

/** com.apple.security.firewall profile payload (XML) → global state as --getglobalstate numbers it. */
export function parseManagedFirewallProfile(xml: string): number | null {
  const d = asDict(parsePlist(xml));
  if (!d || typeof d.EnableFirewall !== 'boolean') return null;
  return !d.EnableFirewall ? 0 : d.BlockAllIncoming === true ? 2 : 1;
}

/** `--getglobalstate` → 0 off, 1 on, 2 block all (essential services only). */
export function parseAlfGlobalState(text: string): number | null {
  const m = /State = (\d)/.exec(text);
  if (m) return Number(m[1]);
  return /Firewall is enabled/i.test(text) ? 1 : /Firewall is disabled/i.test(text) ? 0 : null;
}

export function parseAlfBlockAll(text: string): boolean | null {
  // Older releases answer "Firewall is set to block all non-essential incoming connections".
  if (/block all state set to enabled|Block all ENABLED|set to block all non-essential/i.test(text)) return true;
  if (/block all state set to disabled|Block all DISABLED/i.test(text)) return false;
  return null;
}

export function parseAlfStealth(text: string): boolean | null {
  if (/stealth mode is on|Stealth mode enabled/i.test(text)) return true;
  if (/stealth mode is off|Stealth mode disabled/i.test(text)) return false;
  return null;
}

/** `pfctl -s info` → enabled? (needs root). */
export function parsePfInfo(text: string): boolean | null {
  const m = /^Status:\s*(Enabled|Disabled)/m.exec(text);
  return m ? m[1] === 'Enabled' : null;
}
