/** CSV cells: RFC 4180 quoting and spreadsheet formula neutralising, parsed back. */
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, parseCsv } from '#shared/evidence/csv.js';

describe('csv', () => {
  it('quotes commas, quotes, CR and LF and doubles quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('l1\nl2')).toBe('"l1\nl2"');
    expect(csvCell('l1\r\nl2')).toBe('"l1\r\nl2"');
    expect(csvCell('plain')).toBe('plain');
  });
  it('prefixes text that a spreadsheet would evaluate, but not numbers', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(s).replace(/^"/, '').startsWith("'")).toBe(true);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });
  it('round-trips through the parser', () => {
    const rows = [['id', 'host'], ['1', 'a,"b"\r\nc'], ['2', '']];
    const text = rows.map((r) => csvRow(r)).join('');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual(rows);
  });
});
