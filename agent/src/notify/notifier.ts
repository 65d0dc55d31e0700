/**
 * Desktop notifications for `posture-agent run`, hooked into the runtime's onCycle. After a
 * cycle it waits a moment for the report to reach the collector, reads the collector's
 * authoritative states and deadlines (falling back to the local results when offline),
 * plans with cadence.ts against notified.json, and shows at most one notification.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CheckResult } from '#shared/checks/result.js';
import { checkTitle } from '#shared/checks/catalogue.js';
import type { CustomCheck } from '#shared/custom-checks/schema.js';
import { files } from '../state/paths.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { AgentConfig } from '../state/config.js';
import type { CycleResult } from '../report/build.js';
import { defaultRunner } from '../exec/runner.js';
import { DEFAULT_CADENCE, emptyNotified, plan, type CadenceOptions, type CheckSituation, type NotifiedState, type Situation } from './cadence.js';
import { composeNotice } from './text.js';
import { dispatchNotice, type DispatchEnv, type DispatchResult } from './dispatch.js';
import { fetchCollectorState, type CollectorDeviceState } from './link.js';
import type { Notice } from './commands.js';

/** Optional "notifications" section of agent.json. */
export interface NotifySettings {
  enabled?: boolean;
  quietHours?: { start: number; end: number };
  remindersHoursBefore?: number[];
}

type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;

export interface NotifierOptions {
  stateDir: string;
  log: Log;
  /** Wait after a cycle before reading the collector's verdict (the report is in flight). */
  settleMs?: number;
  dispatch?: Partial<DispatchEnv>;
  fetchState?: (cfg: AgentConfig) => Promise<CollectorDeviceState | null>;
  /**
   * A link to put in the notice. Default none: the notice says to run `posture-agent open`,
   * which asks the running agent for a fresh link over the local channel (agent/src/local/)
   * when the employee acts, instead of a token that expired 10 minutes after the notice.
   */
  link?: (cfg: AgentConfig) => Promise<string | null>;
}

export function loadNotified(stateDir: string): NotifiedState {
  const p = files(stateDir).notified;
  try {
    if (existsSync(p)) {
      const j = JSON.parse(readFileSync(p, 'utf8')) as NotifiedState;
      if (j?.v === 1 && j.checks && typeof j.checks === 'object') return j;
    }
  } catch {
    /* a damaged file only costs a repeated notification */
  }
  return emptyNotified();
}

const COLLECTOR_STATE: Record<string, Situation> = { pass: 'ok', not_required: 'ok', excluded: 'ok', failing: 'failing', noncompliant: 'noncompliant', unknown: 'unknown', not_reported: 'unknown' };

/**
 * Merge the local results with the collector's view. The collector's state is authoritative
 * when it already reflects this cycle; otherwise the local result is newer, and the
 * collector still supplies the deadline and the policy's remediation.
 */
export function situations(local: CheckResult[], collector: CollectorDeviceState | null, cycleAt: Date, now: Date, policy?: { customChecks?: CustomCheck[] }): CheckSituation[] {
  return local.map((r) => {
    const c = collector?.checks.find((x) => x.id === r.id);
    const fresh = c?.collectedAt && Date.parse(c.collectedAt) >= cycleAt.getTime() - 5_000;
    let state: Situation;
    if (c && (fresh || c.state === 'not_required' || c.state === 'excluded')) state = COLLECTOR_STATE[c.state] ?? 'unknown';
    else state = r.status === 'pass' ? 'ok' : r.status === 'fail' ? 'failing' : 'unknown';
    const deadline = state === 'failing' || state === 'noncompliant' ? (c?.deadline ?? null) : null;
    if (state === 'failing' && deadline && Date.parse(deadline) <= now.getTime()) state = 'noncompliant';
    const steps = c?.remediation?.steps?.length ? c.remediation.steps : r.remediation.steps;
    return { id: r.id, title: c?.title ?? checkTitle(r.id, policy), state, deadline, summary: r.summary, firstStep: steps[0] ?? null, helpUrl: c?.remediation?.url ?? r.remediation.url ?? null };
  });
}

export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private lastWhy: string | null = null;

  constructor(private readonly opts: NotifierOptions) {}

  /** The runtime's onCycle hook: never blocks the cycle, never throws. */
  onCycle(cycle: CycleResult, cfg: AgentConfig): void {
    const settings = (cfg as AgentConfig & { notifications?: NotifySettings }).notifications;
    if (settings?.enabled === false) return;
    const cycleAt = new Date();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.busy = this.busy.then(() => this.evaluate(cycle.checks, cfg, cycleAt, new Date()).then(() => undefined)).catch((e) => this.opts.log('warn', `notification failed: ${(e as Error).message}`));
    }, this.opts.settleMs ?? 3000);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    return this.busy;
  }

  async evaluate(checks: CheckResult[], cfg: AgentConfig, cycleAt: Date, now: Date): Promise<{ notice: Notice | null; result: DispatchResult | null }> {
    const settings = (cfg as AgentConfig & { notifications?: NotifySettings }).notifications ?? {};
    const cadence: CadenceOptions = { ...DEFAULT_CADENCE, quietHours: settings.quietHours ?? null, remindersHoursBefore: settings.remindersHoursBefore ?? DEFAULT_CADENCE.remindersHoursBefore };
    const collector = await (this.opts.fetchState ?? ((c) => fetchCollectorState(this.opts.stateDir, c)))(cfg);
    const prev = loadNotified(this.opts.stateDir);
    const { send, next } = plan(prev, situations(checks, collector, cycleAt, now, cfg.policy as { customChecks?: CustomCheck[] }), now, cadence);
    if (!send.length) {
      this.save(next);
      return { notice: null, result: null };
    }
    const link = this.opts.link ? await this.opts.link(cfg).catch(() => null) : null;
    const notice = composeNotice(send, { now, link });
    const runner = defaultRunner();
    const result = await dispatchNotice(notice, { platform: process.platform, run: runner.run, resolve: runner.resolve, asRoot: process.getuid?.() === 0, ...this.opts.dispatch });
    if (result.shown || result.why === 'unsupported' || result.why === 'not-installed') {
      // Shown, or this machine never can: either way it is done. With no session right now,
      // keep the old state so the notice goes out once someone is logged in.
      this.save(next);
    } else {
      const keep: NotifiedState = { v: 1, checks: { ...next.checks }, lastSentAt: prev.lastSentAt };
      for (const p of send) {
        const old = prev.checks[p.check.id];
        if (old) keep.checks[p.check.id] = old;
        else delete keep.checks[p.check.id];
      }
      this.save(keep);
    }
    if (result.shown) this.opts.log('info', `notified: ${notice.title}`);
    else if (result.why !== this.lastWhy) this.opts.log('info', `desktop notification not shown (${result.why}${result.detail ? `: ${result.detail}` : ''}); see \`posture-agent status\``);
    this.lastWhy = result.shown ? null : (result.why ?? null);
    return { notice, result };
  }

  private save(s: NotifiedState): void {
    try {
      writeFileAtomic(files(this.opts.stateDir).notified, JSON.stringify(s), 0o600);
    } catch {
      /* informational state; a write failure only risks a repeat */
    }
  }
}
