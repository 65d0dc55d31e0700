/**
 * CSV as RFC 4180: CRLF line ends; a field containing a comma, a double quote, CR or LF is
 * quoted and its quotes doubled. Spreadsheet safety (formula injection, OWASP "CSV
 * injection"): a text cell starting with = + - @, TAB or CR is prefixed with a single quote
 * so Excel/LibreOffice/Sheets show it as text instead of evaluating it; so is one right after
 * a ";", TAB, CR or LF inside a cell, because Excel opens a double-clicked .csv with the
 * locale's list separator (";" in most of Europe), where a comma-quoted field is no longer
 * quoted and splits there (test/attack/csv-separator.test.ts). Hostnames, owners
 * and rationales come from devices and people, so every text cell gets this treatment; numbers
 * (typeof number) are written as numbers and cannot be formulas.
 */
/**
 * Every CSV in a bundle starts with a UTF-8 byte order mark: Excel opens a BOM-less CSV in the
 * machine's legacy code page (hostnames and names with accents turn into mojibake); with it,
 * Excel, LibreOffice and Python's csv (encoding='utf-8-sig') read UTF-8. parseCsv() skips it.
 */
export const CSV_BOM = '\uFEFF';

export type CsvValue = string | number | boolean | null | undefined | Date;

const FORMULA_START = /^[=+\-@\t\r]/;
/** A formula character right after something a spreadsheet may split a cell or a row at. */
const FORMULA_AFTER_SPLIT = /([;\t\r\n])(?=[=+\-@])/g;

export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = v instanceof Date ? v.toISOString() : v;
  if (FORMULA_START.test(s)) s = `'${s}`;
  s = s.replace(FORMULA_AFTER_SPLIT, "$1'");
  return /[",;\t\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

/** A small RFC 4180 parser (for the verifier's checks and tests). Returns rows of fields. */
export function parseCsv(text: string): string[][] {
  if (text.startsWith(CSV_BOM)) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') (field += '"'), (i += 2);
        else (quoted = false), i++;
      } else (field += c), i++;
    } else if (c === '"' && field === '') (quoted = true), i++;
    else if (c === ',') row.push(field), (field = ''), i++;
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), (i += 2);
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else (field += c), i++;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}
