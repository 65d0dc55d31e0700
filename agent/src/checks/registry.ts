/**
 * Runs the platform's checks. Each check runs concurrently (the runner caps how many
 * processes run at once), inside a guard that turns an exception or an overrun into an
 * `unknown` result, so one broken probe can never take the report down with it.
 * Every result is validated against the shared CheckResult schema before it leaves.
 */
import { closeSync, openSync } from 'node:fs';
import { BUILTIN_CHECK_IDS as CHECK_IDS, type BuiltinCheckId as CheckId, type CheckId as AnyCheckId, type Platform } from '../../../shared/src/checks/ids.js';
import { runCustomChecks } from './custom/run.js';
import { CheckResult } from '../../../shared/src/checks/result.js';
import { compile } from '../../../shared/src/schema/validate.js';
import { listDir, readLink, readText, resolveRoot, statFile } from '../exec/files.js';
import { defaultRunner, type RunFn } from '../exec/runner.js';
import { defaultCacheDir } from './cache.js';
import { buildResult, cut } from './result.js';
import { SPECS } from './specs.js';
import type { CheckSpec, Collector, Observation, ProbeContext, ProbeFs, Thresholds } from './types.js';
import { toStorable } from '#shared/schema/storable.js';
import { buildTrace, tracedContext, type TraceEntry, type TraceSink } from './trace.js';

export type CollectorTable = { [K in CheckId]?: Collector<K> };

export interface RunChecksOptions {
  /** Root prefix for file-based probes (see exec/files.ts); defaults to POSTURE_ROOT. */
  root?: string;
  /** Built-in and/or custom ids; absent = every check. */
  only?: AnyCheckId[];
  /** The policy's custom checks (agent/src/checks/custom/); re-validated before any runs. */
  customChecks?: readonly unknown[];
  /** Overrides of the specs' default thresholds, e.g. { maxIdleSeconds: 600 }. */
  thresholds?: Thresholds;
  /** Overall budget per check; commands have their own, shorter timeouts. */
  checkTimeoutMs?: number;
  /** Inject a runner (e.g. one with another allowlist); defaults to the process-wide one. */
  run?: RunFn;
  platform?: Platform;
  /**
   * Directory for probe memos that survive restarts (apt/dnf/zypper pending updates).
   * The daemon passes `<state dir>/cache`; undefined picks defaultCacheDir(); null disables.
   */
  cacheDir?: string | null;
  /** `check --explain`: receives each check's trace (commands, files, facts, verdict). Unset = no tracing. */
  trace?: TraceSink;
}

const validator = compile(CheckResult);

async function loadCollectors(platform: Platform): Promise<CollectorTable> {
  switch (platform) {
    case 'linux':
      return (await import('./registry.linux.js')).collectors;
    case 'darwin':
      return (await import('./registry.darwin.js')).collectors;
    case 'win32':
      return (await import('./registry.win32.js')).collectors;
  }
}

export function boundFs(root: string): ProbeFs {
  return {
    read: (p, maxBytes) => readText(p, { root, maxBytes }),
    list: (p) => listDir(p, { root }),
    stat: (p) => statFile(p, { root }),
    readlink: (p) => readLink(p, { root }),
  };
}

/**
 * Root on POSIX. On Windows there is no uid: only an elevated token (Administrator or
 * SYSTEM) may open the first physical disk for reading, which is a cheap, spawn-free test.
 */
export function isElevated(): boolean {
  if (typeof process.getuid === 'function') return process.getuid() === 0;
  if (process.platform !== 'win32') return false;
  try {
    closeSync(openSync('\\\\.\\PHYSICALDRIVE0', 'r'));
    return true;
  } catch {
    return false;
  }
}

export function currentPlatform(): Platform | null {
  return (['linux', 'darwin', 'win32'] as const).find((p) => p === process.platform) ?? null;
}

/** The context a live run uses; exported so tools (bench, host test) can reuse it. */
export function liveContext(opts: RunChecksOptions = {}): ProbeContext {
  const root = resolveRoot(opts.root);
  return {
    platform: opts.platform ?? currentPlatform() ?? 'linux',
    root,
    run: opts.run ?? defaultRunner().run,
    fs: boundFs(root),
    now: new Date(),
    elevated: isElevated(),
    cacheDir: opts.cacheDir ?? null,
  };
}

function unknownObservation(id: CheckId, reason: string): Observation<CheckId> {
  const facts = {
    disk_encryption: { systemVolumeEncrypted: null, volumes: [] },
    firewall: { inboundFiltered: null, backends: [] },
    antivirus: { products: [] },
    patch_level: { osName: null, osVersion: null, pendingUpdates: null, pendingSecurityUpdates: null, daysSinceLastUpdate: null, autoUpdatesEnabled: null },
    usb_storage: { policy: 'unknown' as const, mechanisms: [], attachedMassStorage: [] },
    screen_lock: { lockEnabled: null, idleTimeoutSeconds: null },
  }[id];
  return { facts, reason } as Observation<CheckId>;
}

/** Run one check in a guard: never throws, always returns a schema-valid result. */
export async function runOne(id: CheckId, collector: Collector<CheckId> | undefined, ctx: ProbeContext, opts: RunChecksOptions = {}): Promise<CheckResult> {
  // The table is keyed by id, so SPECS[id] always matches `id`; TS cannot see that through the union.
  const spec = SPECS[id] as unknown as CheckSpec<CheckId>;
  const started = performance.now();
  const thresholds = { ...spec.defaults, ...opts.thresholds };
  const entries: TraceEntry[] = [];
  const probeCtx = opts.trace ? tracedContext(ctx, entries) : ctx;
  let obs: Observation<CheckId>;
  if (!collector) obs = unknownObservation(id, `not supported on ${ctx.platform}`);
  else {
    let timer: NodeJS.Timeout | undefined;
    try {
      const budget = opts.checkTimeoutMs ?? 60_000;
      const overrun = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`probe exceeded ${budget} ms`)), budget)));
      obs = await Promise.race([collector(probeCtx), overrun]);
    } catch (e) {
      obs = unknownObservation(id, cut(`probe error: ${(e as Error)?.message ?? String(e)}`, 500));
    } finally {
      clearTimeout(timer);
    }
  }
  let verdict;
  try {
    verdict = spec.evaluate(obs, thresholds, { now: ctx.now, platform: ctx.platform });
  } catch (e) {
    verdict = { status: 'unknown' as const, summary: `evaluation error: ${(e as Error).message}` };
  }
  let steps = spec.remediation[ctx.platform];
  try {
    steps = spec.steps?.(obs, ctx.platform, thresholds) ?? steps;
  } catch {
    /* the generic steps still help */
  }
  // Storable before validation: a NUL or lone surrogate in evidence read from a file is dropped, not a schema failure.
  const result = toStorable(buildResult(id, obs, verdict, steps, performance.now() - started));
  opts.trace?.(buildTrace(id, entries, obs, thresholds, verdict));
  const v = validator.validate(result);
  if (v.ok) return result;
  // Should not happen (buildResult trims to the limits); if it does, report it rather than ship invalid data.
  return buildResult(id, unknownObservation(id, cut(`result failed schema validation: ${v.errors.join('; ')}`, 500)), { status: 'unknown', summary: 'internal error' }, spec.remediation[ctx.platform], performance.now() - started);
}

let defaultDir: Promise<string | null> | undefined;

export async function runChecks(opts: RunChecksOptions = {}): Promise<CheckResult[]> {
  const cacheDir = opts.cacheDir !== undefined ? opts.cacheDir : await (defaultDir ??= defaultCacheDir());
  const ctx = liveContext({ ...opts, cacheDir });
  const ids = CHECK_IDS.filter((id) => !opts.only || opts.only.includes(id));
  const supported = currentPlatform() !== null || opts.platform !== undefined;
  const table: CollectorTable = supported ? await loadCollectors(ctx.platform) : {};
  const [builtin, custom] = await Promise.all([
    Promise.all(ids.map((id) => runOne(id, table[id] as Collector<CheckId> | undefined, ctx, opts))),
    runCustomChecks(opts.customChecks ?? [], ctx, { only: opts.only, checkTimeoutMs: opts.checkTimeoutMs, cacheDir: opts.cacheDir ?? null, trace: opts.trace }),
  ]);
  return [...builtin, ...custom];
}

/** Employee-facing remediation steps for a check on a platform. */
export function remediationFor(id: CheckId, platform: Platform): string[] {
  return [...SPECS[id].remediation[platform]];
}
