/**
 * macOS application firewall (socketfilterfw) and pf. socketfilterfw's wording changed
 * across releases ("Block all DISABLED!" on 12, "Firewall has block all state set to
 * disabled." on 14), so each parser accepts both shapes.
 */

/** `--getglobalstate` → 0 off, 1 on, 2 block all (essential services only). */
export function parseAlfGlobalState(text: string): number | null {
  const m = /State = (\d)/.exec(text);
  if (m) return Number(m[1]);
  return /Firewall is enabled/i.test(text) ? 1 : /Firewall is disabled/i.test(text) ? 0 : null;
}

export function parseAlfBlockAll(text: string): boolean | null {
  if (/block all state set to enabled|Block all ENABLED/i.test(text)) return true;
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
