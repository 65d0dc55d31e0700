/**
 * Runs the policy's custom checks on this machine. The agent re-validates every check it
 * receives (schema + custom-checks/validate.ts) and refuses, with an `unknown` result naming
 * the problem, anything that does not pass: the collector is trusted to send policies, not
 * to send arbitrary work. Each probe kind maps to fixed reads or allowlisted commands
 * (probes-*.ts); a probe has a time budget and its file reads are size-bounded, so a
 * hostile policy can slow one check down, never hang the agent.
 */
import type { CheckResult } from '../../../../shared/src/checks/result.js';
import { isCustomCheckId, type CheckId } from '../../../../shared/src/checks/ids.js';
import { judgeObservation, probeFingerprint, probeFor, type CustomCheckFacts } from '../../../../shared/src/custom-checks/judge.js';
import { CustomCheck, type Probe, type ProbeKind, type ProbeOf } from '../../../../shared/src/custom-checks/schema.js';
import { customCheckProblems, customCheckSchemaErrors } from '../../../../shared/src/custom-checks/validate.js';
import { compile } from '../../../../shared/src/schema/validate.js';
import { buildEvidence, cut } from '../result.js';
import type { ProbeContext } from '../types.js';
import { mkdir } from 'node:fs/promises';
import { readCache, writeCache } from '../cache.js';
import { CheckResult as CheckResultSchema } from '../../../../shared/src/checks/result.js';
import { tracedContext, type TraceEntry, type TraceSink } from '../trace.js';
import { probeConfigKey, probeFile, probeFileContent } from './probes-files.js';
import { probeDefaults, probeGsettings, probeRegistry, probeSysctl } from './probes-settings.js';
import { probePackage, probePort, probeProcess, probeService } from './probes-software.js';
import type { ProbeObservation } from './types.js';

type Impl<K extends ProbeKind> = (p: ProbeOf<K>, ctx: ProbeContext) => Promise<ProbeObservation>;
const IMPLS: { [K in ProbeKind]: Impl<K> } = {
  file: probeFile,
  'file-content': probeFileContent,
  'config-key': probeConfigKey,
  registry: probeRegistry,
  defaults: probeDefaults,
  sysctl: probeSysctl,
  gsettings: probeGsettings,
  package: probePackage,
  process: probeProcess,
  service: probeService,
  port: probePort,
};

/** Per-check budget; commands have their own shorter timeouts and file reads are bounded. */
export const CUSTOM_CHECK_TIMEOUT_MS = 15_000;
const checkValidator = compile(CustomCheck);
const resultValidator = compile(CheckResultSchema);
/** Last result per check (intervalSec): id → { fingerprint, at, result }. */
const memo = new Map<string, { fp: string; at: number; result: CheckResult }>();

export interface RunCustomOptions {
  only?: readonly CheckId[];
  checkTimeoutMs?: number;
  cacheDir?: string | null;
  /** `check --explain`: each custom check's trace (commands run, the file or key read, the observation, the verdict). */
  trace?: TraceSink;
}

/** Observe with one probe, inside a guard: never throws, never exceeds the budget. */
export async function observe(probe: Probe, ctx: ProbeContext, budgetMs = CUSTOM_CHECK_TIMEOUT_MS): Promise<ProbeObservation> {
  const impl = IMPLS[probe.kind] as Impl<ProbeKind> | undefined;
  if (!impl) return { missing: false, observed: null, reason: `unknown probe kind ${JSON.stringify((probe as { kind: unknown }).kind)}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const overrun = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`probe exceeded ${budgetMs} ms`)), budgetMs)));
    return await Promise.race([impl(probe as never, ctx), overrun]);
  } catch (e) {
    return { missing: false, observed: null, reason: cut(`probe error: ${(e as Error)?.message ?? String(e)}`, 400) };
  } finally {
    clearTimeout(timer);
  }
}

function refused(id: string, problem: string): CheckResult {
  const reason = cut(`custom check refused by the agent: ${problem}`, 500);
  return { id: id as CheckId, status: 'unknown', summary: reason, evidence: {}, remediation: { steps: [] }, reason };
}

/** Run one validated check; null when it has no probe for this platform (not applicable). */
export async function runCustomCheck(check: CustomCheck, ctx: ProbeContext, budgetMs?: number, trace?: TraceSink): Promise<CheckResult | null> {
  const probe = probeFor(check, ctx.platform);
  if (!probe) return null;
  const started = performance.now();
  const entries: TraceEntry[] = [];
  const obs = await observe(probe, trace ? tracedContext(ctx, entries) : ctx, budgetMs);
  const facts: CustomCheckFacts = { kind: probe.kind, probe: probeFingerprint(probe), missing: obs.missing, observed: obs.observed };
  const v = judgeObservation(check, probe, facts, obs.reason);
  const target = 'path' in probe ? probe.path : 'names' in probe ? probe.names.join(', ') : 'name' in probe ? probe.name : 'key' in probe ? probe.key : 'port' in probe ? String(probe.port) : '';
  const summary = v.verdict === 'pass' ? `${check.title}: yes` : v.verdict === 'fail' ? `${check.title}: no (${v.reasons.join('; ')})` : `${check.title}: could not be determined (${v.reasons.join('; ')})`;
  const result: CheckResult = {
    id: check.id,
    status: v.verdict,
    summary: cut(summary, 500),
    evidence: buildEvidence({ facts: facts as never, detail: { probe: probe.kind, target: cut(target, 300), ...obs.detail } }),
    remediation: { steps: v.verdict === 'pass' ? [] : (check.remediation?.steps ?? []).slice(0, 12), ...(check.remediationUrl ? { url: check.remediationUrl } : {}) },
    durationMs: Math.round(performance.now() - started),
  };
  if (obs.reason && v.verdict !== 'pass') result.reason = cut(obs.reason, 500);
  if (trace) {
    // Policy-given paths are read by fs.ts directly (not through ctx.fs): name the target here.
    if ('path' in probe) entries.unshift({ op: 'read', target: `${ctx.root}${probe.path}`, ok: !obs.reason || obs.observed !== null, ...(obs.reason ? { error: obs.reason } : {}), ms: result.durationMs ?? 0 });
    trace({ id: check.id, entries, facts, detail: { probe }, reason: obs.reason, thresholds: {}, verdict: { status: v.verdict, summary: result.summary } });
  }
  return result;
}

/**
 * Validate and run `checks` (those in `only`, when given) on ctx.platform. Results for
 * checks without a probe for this platform are omitted (the evaluator marks them
 * not applicable); a check the agent refuses yields an `unknown` result saying why.
 */
export async function runCustomChecks(checks: readonly unknown[], ctx: ProbeContext, opts: RunCustomOptions = {}): Promise<CheckResult[]> {
  const valid: CustomCheck[] = [];
  const out: Promise<CheckResult | null>[] = [];
  const ids = new Set<string>();
  for (const raw of checks.slice(0, 64)) {
    const id = (raw as { id?: unknown } | null)?.id;
    if (!isCustomCheckId(id) || ids.has(id)) continue;
    ids.add(id);
    if (opts.only && !opts.only.includes(id)) continue;
    const v = checkValidator.validate(raw);
    if (!v.ok) {
      // The precise reason (e.g. unknown probe kind "x") rather than the generic union error.
      const precise = customCheckSchemaErrors([raw])[0];
      out.push(Promise.resolve(refused(id, precise ? `${precise.path.replace(/^\/customChecks\/0/, '')} ${precise.message}` : (v.errors[0] ?? 'invalid'))));
      continue;
    }
    const problems = customCheckProblems([v.value]);
    if (problems.length) out.push(Promise.resolve(refused(id, `${problems[0].path.replace(/^\/customChecks\/0/, '')} ${problems[0].message}`)));
    else valid.push(v.value);
  }
  for (const c of valid) {
    const probe = probeFor(c, ctx.platform);
    const fp = probe ? probeFingerprint(probe) : '';
    out.push(
      (async () => {
        if (c.intervalSec && !opts.trace) {
          // The daemon runs each cycle in a short-lived child: the memo also lives in the agent's private cache dir.
          const last = memo.get(c.id) ?? (await readCache<{ fp: string; at: number; result: CheckResult }>(opts.cacheDir, `custom-${c.id}`, fp));
          if (last && last.fp === fp && Date.now() - last.at < c.intervalSec * 1000 && last.at <= Date.now() && resultValidator.validate(last.result).ok) return last.result;
        }
        const r = await runCustomCheck(c, ctx, opts.checkTimeoutMs, opts.trace);
        if (r && c.intervalSec) {
          const entry = { fp, at: Date.now(), result: r };
          memo.set(c.id, entry);
          if (opts.cacheDir) await mkdir(opts.cacheDir, { recursive: true, mode: 0o700 }).catch(() => {});
          await writeCache(opts.cacheDir, `custom-${c.id}`, fp, entry);
        }
        return r;
      })(),
    );
  }
  return (await Promise.all(out)).filter((r): r is CheckResult => r !== null);
}
