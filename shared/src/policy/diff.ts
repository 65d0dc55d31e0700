/**
 * A readable diff between two policy versions, for the audit log and the Policy page:
 * one line per changed leaf, addressed by a dotted path (`checks.firewall.graceHours`).
 */

/** One changed setting. `from`/`to` are absent when the setting was added/removed. */
export interface PolicyChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Changed leaves between `before` and `after` (plain JSON values), in path order. Arrays are
 * compared whole (a list of roles or groups reads better as "[a, b] → [a]" than per index).
 * At most `max` changes are returned; `truncated` says how many more there were.
 */
export function policyDiff(before: unknown, after: unknown, max = 200): { changes: PolicyChange[]; truncated: number } {
  const out: PolicyChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isObject(a) && isObject(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const c: PolicyChange = { path: path || '(policy)' };
    if (a !== undefined) c.from = a;
    if (b !== undefined) c.to = b;
    out.push(c);
  };
  walk(before ?? {}, after ?? {}, '');
  return { changes: out.slice(0, max), truncated: Math.max(0, out.length - max) };
}

/** "checks.firewall.graceHours: 72 → 24", "checks.custom.vpn: added {…}", "…: removed". */
export function formatChange(c: PolicyChange): string {
  const show = (v: unknown) => {
    const s = JSON.stringify(v);
    return s.length > 120 ? `${s.slice(0, 117)}…` : s;
  };
  if (!('from' in c)) return `${c.path}: added ${show(c.to)}`;
  if (!('to' in c)) return `${c.path}: removed (was ${show(c.from)})`;
  return `${c.path}: ${show(c.from)} → ${show(c.to)}`;
}
