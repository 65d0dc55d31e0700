/**
 * String formats used by our schemas; TypeBox leaves format checking to the application.
 * `date-time` is RFC 3339 *and* a real calendar instant the store can hold: Date.parse
 * silently rolls 2026-02-30 over to March 2, while PostgreSQL refuses it, so each field is
 * range-checked here (day within its month, leap years, hour ≤ 23, no year 0000).
 * The instant itself (after its offset) must also lie in years 0100–9999 UTC: both stores
 * accept earlier ones, but PGlite reads them back wrong (year 0001 comes back as 2001, a
 * BC instant such as 0001-01-01T00:00:00+15:00 as an Invalid Date that made /settings 500),
 * so a value we could store but not read back faithfully is refused at the boundary.
 */
import { FormatRegistry } from '@sinclair/typebox';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The instants both stores round-trip exactly (see the module comment), in ms since the epoch. */
const EARLIEST_MS = Date.parse('0100-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');

const daysIn = (y: number, m: number) => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** True for an RFC 3339 date-time naming an instant that exists and that both stores (PostgreSQL, PGlite) store and read back unchanged. */
export function isStorableDateTime(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return false;
  if (m[9] && (Number(m[10]) > 15 || Number(m[11]) > 59)) return false;
  const t = Date.parse(v);
  return !Number.isNaN(t) && t >= EARLIEST_MS && t <= LATEST_MS;
}

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isStorableDateTime);
