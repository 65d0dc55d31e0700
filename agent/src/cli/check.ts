/**
 * `posture-agent check [--json] [--root DIR] [--explain]`: one local cycle, printed. Exit code 0 even
 * when checks fail: the command reports posture, it does not enforce it.
 */
import { isCheckId, type CheckId } from '../../../shared/src/checks/ids.js';
import type { CustomCheck } from '../../../shared/src/custom-checks/schema.js';
import type { CheckResult } from '../../../shared/src/checks/result.js';
import type { Inventory } from '../../../shared/src/protocol/inventory.js';
import { currentPlatform, runChecks } from '../checks/registry.js';
import type { CheckTrace } from '../checks/trace.js';
import { DEFAULT_POLICY } from '../../../shared/src/policy/default-policy.js';
import { judgeCheck } from '../../../shared/src/policy/judge.js';
import { collectInventory } from '../inventory/collect.js';

export interface CheckArgs {
  json: boolean;
  /** Root prefix for file-based probes (inspect a mounted image or container rootfs). */
  root?: string;
  only?: CheckId[];
  /** The policy's custom checks (enrolled agent's policy or --policy FILE). */
  customChecks?: CustomCheck[];
  /** Print, per check, every command/file read, what was extracted and which rule decided. */
  explain?: boolean;
}

export interface CheckOutput {
  device: Inventory;
  checks: CheckResult[];
  /** With --explain. */
  explain?: ExplainedCheck[];
}

export interface ExplainedCheck extends CheckTrace {
  /** The collector's judgement of the same facts under the built-in default policy. */
  policy: { verdict: string; reasons: string[]; rule: Record<string, unknown> };
}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (x === undefined ? undefined : x));

/** The --explain text: one block per check, readable by the help desk. */
export function formatExplain(list: ExplainedCheck[]): string {
  const out: string[] = [];
  for (const t of list) {
    out.push('', `== ${t.id}: ${t.verdict.status.toUpperCase()} — ${t.verdict.summary}`);
    out.push(t.entries.length ? 'Read:' : 'Read: nothing (no command or file for this check on this platform)');
    for (const e of t.entries) {
      const what = e.ok ? (e.op === 'run' ? `exit ${e.code ?? '?'}, ${e.bytes ?? 0} bytes` : `${e.bytes ?? 0} bytes`) : `${e.error ?? 'failed'}${e.code != null ? ` (exit ${e.code})` : ''}`;
      out.push(`  ${e.op.padEnd(8)} ${e.target} → ${what}${e.excerpt ? `: ${e.excerpt.split('\n')[0].slice(0, 120)}` : ''}`);
    }
    out.push(`Extracted: ${show(t.facts)}`);
    if (t.reason) out.push(`Why some facts are missing: ${t.reason}`);
    out.push(`Decided by the agent rule (thresholds ${show(t.thresholds)}): ${t.verdict.status} — ${t.verdict.summary}`);
    out.push(`Collector rule (built-in default policy ${show(t.policy.rule)}): ${t.policy.verdict}${t.policy.reasons.length ? ` — ${t.policy.reasons.join('; ')}` : ''}`);
  }
  return out.join('\n');
}

export function formatTable(out: CheckOutput): string {
  const lines = [`${out.device.hostname} (${[out.device.os.distro, out.device.os.release].filter(Boolean).join(' ') || out.device.os.platform})`, ''];
  const w = Math.max(...out.checks.map((c) => c.id.length), 2);
  lines.push(`${'CHECK'.padEnd(w)}  STATUS   SUMMARY`);
  for (const c of out.checks) {
    const detail = c.status === 'unknown' && c.reason && !c.summary.includes(c.reason) ? ` (${c.reason})` : '';
    lines.push(`${c.id.padEnd(w)}  ${c.status.toUpperCase().padEnd(7)}  ${c.summary}${detail}`);
  }
  const elevate = out.checks.filter((c) => c.needsElevation).map((c) => c.id);
  if (elevate.length) lines.push('', `More precise when run as root/administrator: ${elevate.join(', ')}`);
  return lines.join('\n');
}

export async function checkCommand(args: CheckArgs): Promise<number> {
  const traces: CheckTrace[] = [];
  const [device, checks] = await Promise.all([
    collectInventory({ root: args.root }),
    runChecks({ root: args.root, only: args.only, customChecks: args.customChecks, ...(args.explain ? { trace: (t: CheckTrace) => traces.push(t) } : {}) }),
  ]);
  const out: CheckOutput = { device, checks };
  if (args.explain) out.explain = explainAll(traces, checks, new Date(), args.customChecks);
  process.stdout.write(args.json ? `${JSON.stringify(out)}\n` : `${formatTable(out)}\n${out.explain ? `${formatExplain(out.explain)}\n` : ''}`);
  return 0;
}

/** Traces in result order, each with the collector's judgement of the same result. */
/** `customChecks`: those that ran, so the collector-side judgement of their results can be shown too. */
export function explainAll(traces: CheckTrace[], checks: CheckResult[], now = new Date(), customChecks: CustomCheck[] = []): ExplainedCheck[] {
  const platform = currentPlatform() ?? 'linux';
  return checks.flatMap((r) => {
    const t = traces.find((x) => x.id === r.id);
    if (!t) return [];
    const j = judgeCheck({ ...DEFAULT_POLICY, customChecks }, platform, r, now);
    const { remediation: _r, controls: _c, ...rule } = j.rule as Record<string, unknown>;
    return [{ ...t, policy: { verdict: j.verdict, reasons: j.reasons, rule } }];
  });
}

/** argv (after the command name) → CheckArgs. Throws on an unknown option. */
export function parseCheckArgs(argv: string[]): CheckArgs {
  const args: CheckArgs = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--explain') args.explain = true;
    else if (a === '--root') args.root = argv[++i];
    else if (a.startsWith('--root=')) args.root = a.slice(7);
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice(7);
      args.only = (v ?? '').split(',').filter(isCheckId);
    } else throw new Error(`unknown option ${a}`);
  }
  return args;
}
