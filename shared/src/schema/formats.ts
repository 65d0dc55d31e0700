/**
 * String formats used by our schemas; TypeBox leaves format checking to the application.
 * `date-time` is RFC 3339 *and* a real calendar instant the store can hold: Date.parse
 * silently rolls 2026-02-30 over to March 2, while PostgreSQL refuses it, so each field is
 * range-checked here (day within its month, leap years, hour ≤ 23, no year 0000).
 */
import { FormatRegistry } from '@sinclair/typebox';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

const daysIn = (y: number, m: number) => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** True for an RFC 3339 date-time naming an instant that exists and that PostgreSQL's timestamptz accepts. */
export function isStorableDateTime(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return false;
  if (m[9] && (Number(m[10]) > 15 || Number(m[11]) > 59)) return false;
  return !Number.isNaN(Date.parse(v));
}

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isStorableDateTime);
