/**
 * Split a migration file into statements. A statement ends at a `;` outside quotes, comments
 * and dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`: PL/pgSQL function bodies contain `;`).
 * Statements that are only comments or whitespace are dropped. Throws on an unterminated
 * quote or body (a migration cut short must not half-apply).
 */
export function splitSqlStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  const push = (end: number) => {
    const s = sql.slice(start, end).trim();
    if (s && !/^(\s*--[^\n]*(\n|$))*\s*$/.test(s)) out.push(s);
  };
  while (i < n) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated /* comment in migration');
      i = end + 2;
    } else if (c === "'" || c === '"') {
      // '' (or "") inside is an escaped quote: scanning to the next quote handles it as two strings.
      const end = sql.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} quote in migration`);
      i = end + 1;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      // `$1` (a parameter) or an identifier char before `$` is not a dollar quote.
      if (m && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(m[0], i + m[0].length);
        if (end < 0) throw new Error(`unterminated ${m[0]} body in migration`);
        i = end + m[0].length;
      } else i++;
    } else if (c === ';') {
      push(i);
      start = ++i;
    } else i++;
  }
  push(n);
  return out;
}
