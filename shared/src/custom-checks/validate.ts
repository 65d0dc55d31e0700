/**
 * What the schema cannot say about custom checks, checked when a policy is loaded (server:
 * PUT /api/v1/policy, POSTURE_POLICY_FILE) and again by the agent on every policy it
 * receives. Each problem names its JSON path so the policy loader can give its line.
 */
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { conditionDepth, conditionRegexes, DEFAULT_PASS } from './condition.js';
import { compileRegex } from './regex.js';
import { CustomCheck, MAX_CONDITION_DEPTH, PROBE_KINDS, PROBE_SCHEMAS, type Condition, type Probe, type ProbeKind } from './schema.js';

export interface Problem {
  /** JSON pointer, e.g. /customChecks/0/probes/linux/path */
  path: string;
  message: string;
}

/** Which platforms can run each kind (a registry probe on Linux is a policy mistake, not "unknown"). */
export const PROBE_PLATFORMS: Record<ProbeKind, readonly string[]> = {
  file: ['linux', 'darwin', 'win32'],
  'file-content': ['linux', 'darwin', 'win32'],
  'config-key': ['linux', 'darwin', 'win32'],
  registry: ['win32'],
  defaults: ['darwin'],
  sysctl: ['linux', 'darwin'],
  gsettings: ['linux'],
  package: ['linux', 'darwin', 'win32'],
  process: ['linux', 'darwin', 'win32'],
  service: ['linux', 'darwin', 'win32'],
  port: ['linux', 'darwin', 'win32'],
};
const MANAGERS: Record<string, readonly string[]> = { linux: ['dpkg', 'rpm'], darwin: ['homebrew', 'apps'], win32: ['windows'] };

/** A path is absolute, has no `..` segment and no NUL (the schema checks the absolute prefix). */
export function pathProblem(path: string): string | null {
  if (path.includes('\0')) return 'path contains a NUL character';
  if (path.split(/[\\/]+/).some((s) => s === '..')) return "path may not contain '..' segments";
  if (!/^(?:\/|[A-Za-z]:\\)/.test(path)) return 'path must be absolute';
  return null;
}

const checkOnly = TypeCompiler.Compile(Type.Omit(CustomCheck, ['probes']));
const probeCheckers = Object.fromEntries(Object.entries(PROBE_SCHEMAS).map(([k, s]) => [k, TypeCompiler.Compile(s)])) as unknown as Record<ProbeKind, ReturnType<typeof TypeCompiler.Compile>>;

/**
 * Precise schema errors for a `customChecks` value that failed the policy schema: the
 * generic union error ("Expected union value") becomes "unknown probe kind 'x'" or the
 * wrong field of the right kind.
 */
export function customCheckSchemaErrors(value: unknown): Problem[] {
  if (!Array.isArray(value)) return [{ path: '/customChecks', message: 'must be a list of custom checks' }];
  const out: Problem[] = [];
  value.forEach((c, i) => {
    const base = `/customChecks/${i}`;
    if (!c || typeof c !== 'object' || Array.isArray(c)) return void out.push({ path: base, message: 'must be an object' });
    const { probes, ...rest } = c as Record<string, unknown>;
    for (const e of checkOnly.Errors(rest)) out.push({ path: `${base}${e.path}`, message: e.message });
    if (!probes || typeof probes !== 'object' || Array.isArray(probes)) return void out.push({ path: `${base}/probes`, message: 'must be an object with linux, darwin and/or win32 probes' });
    for (const [plat, p] of Object.entries(probes)) {
      const at = `${base}/probes/${plat}`;
      if (!['linux', 'darwin', 'win32'].includes(plat)) { out.push({ path: at, message: `unknown platform '${plat}' (known: linux, darwin, win32)` }); continue; }
      const kind = (p as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !(PROBE_KINDS as string[]).includes(kind)) {
        out.push({ path: `${at}/kind`, message: `unknown probe kind ${JSON.stringify(kind ?? null)} (known: ${PROBE_KINDS.join(', ')})` });
        continue;
      }
      for (const e of probeCheckers[kind as ProbeKind].Errors(p)) out.push({ path: `${at}${e.path}`, message: e.message });
    }
  });
  return out;
}

function conditionProblems(c: Condition, at: string): Problem[] {
  const out: Problem[] = [];
  if (conditionDepth(c) > MAX_CONDITION_DEPTH) out.push({ path: at, message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels` });
  for (const re of conditionRegexes(c)) {
    const r = compileRegex(re);
    if (!r.ok) out.push({ path: at, message: `regex ${JSON.stringify(re)}: ${r.error}` });
  }
  const leafHasOp = (x: Condition): boolean =>
    'all' in x ? x.all.every(leafHasOp) : 'any' in x ? x.any.every(leafHasOp) : 'none' in x ? x.none.every(leafHasOp) : Object.keys(x).some((k) => k !== 'field');
  if (!leafHasOp(c)) out.push({ path: at, message: 'a condition needs at least one comparison (equals, in, regex, gt, versionGte, ...)' });
  return out;
}

function probeProblems(p: Probe, plat: string, at: string, checkPass: Condition | undefined): Problem[] {
  const out: Problem[] = [];
  if (!PROBE_PLATFORMS[p.kind].includes(plat)) out.push({ path: `${at}/kind`, message: `probe kind '${p.kind}' is not available on ${plat} (available on: ${PROBE_PLATFORMS[p.kind].join(', ')})` });
  if ('path' in p) {
    const bad = pathProblem(p.path);
    if (bad) out.push({ path: `${at}/path`, message: bad });
  }
  if (p.kind === 'file-content') {
    const r = compileRegex(p.match, p.ignoreCase);
    if (!r.ok) out.push({ path: `${at}/match`, message: r.error });
  }
  if (p.kind === 'config-key' && (p.key === undefined) === (p.keyPath === undefined)) out.push({ path: at, message: 'config-key needs exactly one of key (dotted) or keyPath (list)' });
  if (p.kind === 'package' && p.manager && !MANAGERS[plat]?.includes(p.manager)) out.push({ path: `${at}/manager`, message: `package manager '${p.manager}' is not available on ${plat} (available: ${(MANAGERS[plat] ?? []).join(', ')})` });
  if (p.pass) out.push(...conditionProblems(p.pass, `${at}/pass`));
  if (!p.pass && !checkPass && !DEFAULT_PASS[p.kind]) out.push({ path: at, message: `a '${p.kind}' probe needs a pass condition (on the probe or the check), e.g. pass: { equals: '1' }` });
  return out;
}

/** Semantic problems of a schema-valid customChecks list; empty = acceptable. */
export function customCheckProblems(checks: readonly CustomCheck[]): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, number>();
  checks.forEach((c, i) => {
    const base = `/customChecks/${i}`;
    if (seen.has(c.id)) out.push({ path: `${base}/id`, message: `duplicate check id '${c.id}' (also entry ${seen.get(c.id)})` });
    else seen.set(c.id, i);
    if (c.pass) out.push(...conditionProblems(c.pass, `${base}/pass`));
    const plats = Object.entries(c.probes).filter(([, p]) => p);
    if (!plats.length) out.push({ path: `${base}/probes`, message: 'needs a probe for at least one platform (linux, darwin, win32)' });
    for (const [plat, p] of plats) out.push(...probeProblems(p as Probe, plat, `${base}/probes/${plat}`, c.pass));
  });
  return out;
}
