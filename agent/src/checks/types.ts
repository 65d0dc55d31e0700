/**
 * What a check is made of. A collector (one per platform) observes the machine through a
 * ProbeContext and returns an Observation: the normalized facts the policy reads plus
 * human detail. The check's spec turns an observation into pass/fail/unknown under the
 * agent's default thresholds and carries the remediation text. The registry wraps both
 * into a schema-valid CheckResult.
 */
import type { BuiltinCheckId as CheckId, Platform } from '../../../shared/src/checks/ids.js';
import type { FactsByCheck } from '../../../shared/src/checks/facts.js';
import type { CheckStatus } from '../../../shared/src/checks/result.js';
import type { FileResult } from '../exec/files.js';
import type { RunFn } from '../exec/runner.js';

/** File access bound to the context's root prefix (see exec/files.ts). */
export interface ProbeFs {
  read(path: string, maxBytes?: number): Promise<FileResult<string>>;
  list(path: string): Promise<FileResult<string[]>>;
  stat(path: string): Promise<FileResult<{ mtimeMs: number; size: number; isDir: boolean }>>;
  readlink(path: string): Promise<FileResult<string>>;
}

export interface ProbeContext {
  platform: Platform;
  /** Root prefix for file-based probes; '' is the live system. */
  root: string;
  run: RunFn;
  fs: ProbeFs;
  now: Date;
  /** Running as root / Administrator. Collectors use it to decide `needsElevation`. */
  elevated: boolean;
  /** Private directory for on-disk memos (cache.ts); null/absent = compute every time. */
  cacheDir?: string | null;
}

export interface Observation<Id extends CheckId> {
  facts: FactsByCheck[Id];
  /** Extra evidence for humans: which volume, profile, product; raw command summaries. */
  detail?: Record<string, unknown>;
  /** Why some facts are null (tool missing, permission denied, timeout, headless). */
  reason?: string;
  needsElevation?: boolean;
}

export type Collector<Id extends CheckId> = (ctx: ProbeContext) => Promise<Observation<Id>>;

export type Thresholds = Record<string, number | string | boolean>;

export interface Verdict {
  status: CheckStatus;
  summary: string;
}

export interface CheckSpec<Id extends CheckId> {
  id: Id;
  title: string;
  /** Employee-facing steps per platform: exact settings path or command. */
  remediation: Record<Platform, string[]>;
  /** Defaults for this check's thresholds; overridable by runChecks({thresholds}). */
  defaults: Thresholds;
  /**
   * Steps that fit this machine (its distribution, desktop and installed tools), from what
   * the collector saw, with the numbers of the thresholds in force; null falls back to
   * `remediation[platform]`. A command is written between backticks: web pages show it as
   * code, the CLI without them.
   */
  steps?(obs: Observation<Id>, platform: Platform, thresholds: Thresholds): string[] | null;
  /** `ctx` carries the observation time (end-of-support dates) and platform; absent in old callers. */
  evaluate(obs: Observation<Id>, thresholds: Thresholds, ctx?: EvaluateContext): Verdict;
}

export interface EvaluateContext {
  now: Date;
  platform: Platform;
}

/** Read a numeric threshold, falling back to the spec default. */
export function num(t: Thresholds, key: string, fallback: number): number {
  const v = t[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Describe a failed command or file read in a few words, for `reason`. */
export function describeFailure(what: string, error: string | null | undefined): string {
  switch (error) {
    case 'not_found':
      return `${what} not found`;
    case 'permission_denied':
      return `${what}: permission denied (run as root/administrator for a precise answer)`;
    case 'timeout':
      return `${what} timed out`;
    default:
      return `${what} failed`;
  }
}

/** Whole days between a past instant and now, never negative. */
export function daysSince(thenMs: number, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - thenMs) / 86_400_000));
}
