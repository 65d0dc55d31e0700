/** The migration splitter: `;` ends a statement only outside quotes, comments and dollar-quoted bodies. */
import { describe, expect, it } from 'vitest';
import { splitSqlStatements } from '../../server/src/db/split-sql.js';

describe('splitSqlStatements', () => {
  it('keeps a PL/pgSQL body with inner semicolons in one statement', () => {
    const sql = `CREATE TABLE t (a int);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'no;';
  RETURN NULL;
END;
$$;
CREATE TRIGGER x BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();`;
    const s = splitSqlStatements(sql);
    expect(s).toHaveLength(3);
    expect(s[1]).toMatch(/^CREATE FUNCTION[\s\S]*RETURN NULL;\nEND;\n\$\$$/);
    expect(s[2]).toMatch(/^CREATE TRIGGER/);
  });

  it('handles tagged bodies, quotes, comments and parameters', () => {
    const sql = `-- a comment; with a semicolon
SELECT 'a;b', "we;ird" FROM t WHERE x = $1; /* block ; */ SELECT $fn$ x; $$ y; $fn$;
-- only a comment;
`;
    expect(splitSqlStatements(sql)).toEqual([
      `-- a comment; with a semicolon\nSELECT 'a;b', "we;ird" FROM t WHERE x = $1`,
      `/* block ; */ SELECT $fn$ x; $$ y; $fn$`,
    ]);
  });

  it('refuses an unterminated body instead of half-applying it', () => {
    expect(() => splitSqlStatements('CREATE FUNCTION f() AS $$ BEGIN; ')).toThrow(/unterminated \$\$ body/);
    expect(() => splitSqlStatements("SELECT 'x;")).toThrow(/unterminated ' quote/);
  });
});
