/**
 * Pass conditions over what a probe observed. Pure: the agent runs it to tell the employee,
 * the collector runs it on the reported observation authoritatively (as for built-in checks).
 */
import type { Condition, ConditionLeaf, ProbeKind } from './schema.js';
import { compileRegex } from './regex.js';
import { compareVersionStrings } from './version.js';

/** What a probe observed: field → value; null = not observable (e.g. mode of a missing file). */
export type Observed = Record<string, string | number | boolean | null>;

/** The condition a probe kind uses when neither the probe nor the check sets `pass`. */
export const DEFAULT_PASS: Partial<Record<ProbeKind, Condition>> = {
  file: { field: 'exists', equals: true },
  'file-content': { field: 'matched', equals: true },
  package: { field: 'installed', equals: true },
  process: { field: 'running', equals: true },
  service: { all: [{ field: 'enabled', equals: true }, { field: 'running', equals: true }] },
  port: { field: 'listening', equals: true },
};

const same = (a: unknown, b: unknown) => a === b || String(a) === String(b);
const isLeaf = (c: Condition): c is ConditionLeaf => !('all' in c) && !('any' in c) && !('none' in c);

/** Each failed leaf, described for a human ("value is 'yes', expected equals 'no'"). */
function leafFailures(c: ConditionLeaf, obs: Observed): string[] {
  const field = c.field ?? 'value';
  const v = obs[field];
  const shown = v === null || v === undefined ? 'not present' : `is ${JSON.stringify(v)}`;
  const fails: string[] = [];
  const fail = (expected: string) => fails.push(`${field} ${shown}, expected ${expected}`);
  const num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const present = v !== null && v !== undefined;
  if (c.equals !== undefined && !(present && same(v, c.equals))) fail(`equals ${JSON.stringify(c.equals)}`);
  if (c.notEquals !== undefined && !(present && !same(v, c.notEquals))) fail(`not ${JSON.stringify(c.notEquals)}`);
  if (c.in !== undefined && !(present && c.in.some((x) => same(v, x)))) fail(`one of ${JSON.stringify(c.in)}`);
  if (c.regex !== undefined) {
    const re = compileRegex(c.regex);
    if (!re.ok) fail(`to match ${c.regex} (${re.error})`);
    else if (!(present && re.re.matcher(String(v).slice(0, 65536)).find())) fail(`to match /${c.regex}/`);
  }
  if (c.gt !== undefined && !(num > c.gt)) fail(`> ${c.gt}`);
  if (c.gte !== undefined && !(num >= c.gte)) fail(`>= ${c.gte}`);
  if (c.lt !== undefined && !(num < c.lt)) fail(`< ${c.lt}`);
  if (c.lte !== undefined && !(num <= c.lte)) fail(`<= ${c.lte}`);
  const ver = (op: string, want: string, ok: (d: number) => boolean) => {
    if (!(present && String(v).trim() !== '' && ok(compareVersionStrings(String(v), want)))) fail(`version ${op} ${want}`);
  };
  if (c.versionGt !== undefined) ver('>', c.versionGt, (d) => d > 0);
  if (c.versionGte !== undefined) ver('>=', c.versionGte, (d) => d >= 0);
  if (c.versionLt !== undefined) ver('<', c.versionLt, (d) => d < 0);
  if (c.versionLte !== undefined) ver('<=', c.versionLte, (d) => d <= 0);
  if (c.modeAtMost !== undefined) {
    const mode = typeof v === 'string' && /^[0-7]{3,4}$/.test(v) ? parseInt(v, 8) : NaN;
    if (!(Number.isFinite(mode) && (mode & ~parseInt(c.modeAtMost, 8) & 0o7777) === 0)) fail(`mode at most ${c.modeAtMost}`);
  }
  return fails;
}

/** Evaluate; `failures` explains a false result (empty when it holds). */
export function evaluateCondition(c: Condition, obs: Observed): { holds: boolean; failures: string[] } {
  if (isLeaf(c)) {
    const failures = leafFailures(c, obs);
    return { holds: failures.length === 0, failures };
  }
  if ('all' in c) {
    const failures = c.all.flatMap((x) => evaluateCondition(x, obs).failures);
    return { holds: failures.length === 0, failures };
  }
  if ('any' in c) {
    const rs = c.any.map((x) => evaluateCondition(x, obs));
    return rs.some((r) => r.holds) ? { holds: true, failures: [] } : { holds: false, failures: [`none of: ${rs.map((r) => r.failures.join(' and ')).join('; ')}`] };
  }
  const held = c.none.map((x) => evaluateCondition(x, obs)).findIndex((r) => r.holds);
  return held < 0 ? { holds: true, failures: [] } : { holds: false, failures: [`a forbidden condition holds: ${JSON.stringify(c.none[held])}`] };
}

/** Nesting depth (a leaf is 1). */
export function conditionDepth(c: Condition): number {
  if (isLeaf(c)) return 1;
  const list = 'all' in c ? c.all : 'any' in c ? c.any : c.none;
  return 1 + Math.max(0, ...list.map(conditionDepth));
}

/** Every regex a condition carries (validated at load time). */
export function conditionRegexes(c: Condition): string[] {
  if (isLeaf(c)) return c.regex === undefined ? [] : [c.regex];
  const list = 'all' in c ? c.all : 'any' in c ? c.any : c.none;
  return list.flatMap(conditionRegexes);
}
