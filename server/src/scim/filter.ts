/**
 * SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-parse-filter. The lookups identity providers
 * actually send (`userName eq`, `externalId eq`, `emails[value eq]`, `displayName eq`, joined
 * by and/or) become SQL so they use the indexes; any other expression is evaluated by the
 * library's own matcher over a bounded candidate set.
 */
import { filter as compileFilter, parse, type Filter } from 'scim2-parse-filter';
import { ScimHttpError } from './errors.js';

/** Attribute (lower-case SCIM path) → SQL expression and whether the comparison ignores case. */
export type SqlAttrs = Record<string, { sql: string; ci: boolean }>;

export interface CompiledFilter {
  /** A SQL boolean expression with $n placeholders appended to `params`, or null = evaluate in memory. */
  sql: string | null;
  /** Always applied to the built resources (exact SCIM semantics for what SQL could not do). */
  test: ((resource: unknown) => boolean) | null;
}

export function parseScimFilter(text: string): Filter {
  try {
    return parse(text);
  } catch (e) {
    throw new ScimHttpError(400, `filter: ${(e as Error).message}`, 'invalidFilter');
  }
}

/** Translate `f` to SQL over `attrs`; params collects the values. Null when any part is not translatable. */
export function filterToSql(f: Filter, attrs: SqlAttrs, params: unknown[]): string | null {
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  switch (f.op) {
    case 'and':
    case 'or': {
      const parts = f.filters.map((x) => filterToSql(x, attrs, params));
      if (parts.some((x) => x === null)) return null;
      return `(${parts.join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case '[]': {
      // emails[value eq "x"] is the same as emails.value eq "x"
      const v = f.valFilter;
      if (v.op === 'eq' && 'attrPath' in v) return filterToSql({ op: 'eq', attrPath: `${f.attrPath}.${v.attrPath}`, compValue: v.compValue }, attrs, params);
      return null;
    }
    case 'eq': {
      const a = attrs[normalizePath(f.attrPath)];
      if (!a || typeof f.compValue !== 'string') return null;
      return a.ci ? `lower(${a.sql}) = lower(${p(f.compValue)})` : `${a.sql} = ${p(f.compValue)}`;
    }
    default:
      return null;
  }
}

/** `urn:ietf:params:scim:schemas:core:2.0:User:userName` → `username`. */
function normalizePath(path: string): string {
  const core = /^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i;
  return path.replace(core, '').toLowerCase();
}

/**
 * The library's matcher compares strings exactly; SCIM says attributes with caseExact=false
 * (userName, emails, displayName) compare ignoring case, so values are lower-cased on both sides
 * for those attributes before matching.
 */
export function inMemoryTest(f: Filter, caseInsensitive: Set<string>): (r: unknown) => boolean {
  const lower = (x: Filter): Filter => {
    switch (x.op) {
      case 'and':
      case 'or':
        return { ...x, filters: x.filters.map(lower) };
      case 'not':
        return { ...x, filter: lower(x.filter) };
      case '[]':
        return { ...x, valFilter: lower(x.valFilter) };
      case 'pr':
        return x;
      default:
        return caseInsensitive.has(normalizePath(x.attrPath).split('.')[0]) && typeof x.compValue === 'string' ? { ...x, compValue: x.compValue.toLowerCase() } : x;
    }
  };
  const test = compileFilter(lower(f));
  return (r) => test(lowerValues(r, caseInsensitive));
}

function lowerValues(r: unknown, keys: Set<string>): unknown {
  if (!r || typeof r !== 'object') return r;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
    if (keys.has(k.toLowerCase())) out[k] = deepLower(v);
    else out[k] = v;
  }
  return out;
}
const deepLower = (v: unknown): unknown =>
  typeof v === 'string' ? v.toLowerCase() : Array.isArray(v) ? v.map(deepLower) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepLower(x)])) : v;

export function compileScimFilter(text: string | undefined, attrs: SqlAttrs, params: unknown[], caseInsensitive: Set<string>): CompiledFilter {
  if (!text) return { sql: null, test: null };
  if (text.length > 2000) throw new ScimHttpError(400, 'filter: longer than 2000 characters', 'invalidFilter');
  const f = parseScimFilter(text);
  // Placeholders are numbered after the caller's params; a failed translation leaves them untouched.
  const local = [...params];
  const sql = filterToSql(f, attrs, local);
  if (sql) params.splice(0, params.length, ...local);
  return { sql, test: sql ? null : inMemoryTest(f, caseInsensitive) };
}
