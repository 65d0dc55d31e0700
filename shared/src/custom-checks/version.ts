/**
 * Version ordering for package versions from dpkg, rpm, Homebrew, app bundles and Windows
 * installed programs. Follows the dpkg algorithm (deb-version(7)) closely enough for all of
 * them: an optional numeric epoch `N:`, then alternating runs of non-digits (compared
 * character by character, letters before non-letters, `~` before everything, even the end)
 * and digits (compared numerically). `1.10` > `1.9`, `2.0~rc1` < `2.0`, `1:1.0` > `9.9`.
 */

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareNonDigits(a: string, b: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = order(a[i]) - order(b[i]);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function compareRest(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let ea = i;
    while (ea < a.length && !/\d/.test(a[ea])) ea++;
    let eb = j;
    while (eb < b.length && !/\d/.test(b[eb])) eb++;
    const c = compareNonDigits(a.slice(i, ea), b.slice(j, eb));
    if (c !== 0) return c;
    i = ea;
    j = eb;
    while (ea < a.length && /\d/.test(a[ea])) ea++;
    while (eb < b.length && /\d/.test(b[eb])) eb++;
    const na = a.slice(i, ea).replace(/^0+/, '');
    const nb = b.slice(j, eb).replace(/^0+/, '');
    // Compare as digit strings: no precision loss on long build numbers.
    if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
    if (na !== nb) return na < nb ? -1 : 1;
    i = ea;
    j = eb;
  }
  return 0;
}

/** -1, 0 or 1. Never throws; any strings compare. */
export function compareVersionStrings(a: string, b: string): number {
  const ma = /^(\d+):(.*)$/.exec(a.trim());
  const mb = /^(\d+):(.*)$/.exec(b.trim());
  const ea = ma ? Number(ma[1]) : 0;
  const eb = mb ? Number(mb[1]) : 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return compareRest(ma ? ma[2] : a.trim(), mb ? mb[2] : b.trim());
}
