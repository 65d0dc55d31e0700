/**
 * Run the projector on a worker thread with its own database pool (POSTURE_PROJECTOR_THREAD=on,
 * PostgreSQL only: PGlite lives in one thread). Off by default: measured in docs/benchmarks.md,
 * "Session 4, round 2 (perf2)". The interface is the in-process Projector's that the collector
 * uses: start, wake (after each commit), stop (finish the pass in progress).
 */
import type { Worker } from 'node:worker_threads';
import type { Policy } from '#shared/policy/schema.js';
import { startWorker } from '../shared/worker-file.js';

/** What the worker starts with. */
export interface ProjectorThreadData {
  databaseUrl: string;
  poolMax: number;
  policy: Policy;
  alertOn: string[];
}

/** Main thread → worker. */
export type ToProjectorThread = { type: 'wake'; alertOn: string[] } | { type: 'policy'; policy: Policy } | { type: 'stop' };
/** Worker → main thread. */
type FromProjectorThread = { type: 'projected'; lags: number[] } | { type: 'log'; level: 'warn' | 'error'; o: object; m: string } | { type: 'stopped' };

export interface ProjectorThreadOptions {
  databaseUrl: string;
  /** The worker's own pool (default 4). */
  poolMax?: number;
  policy: () => Policy;
  alertOn: () => string[];
  onProjected?: (lagsMs: number[]) => void;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
}

export class ProjectorThread {
  private worker: Worker | null = null;
  private wakePending = false;

  constructor(private readonly opts: ProjectorThreadOptions) {}

  start(): void {
    const o = this.opts;
    const data: ProjectorThreadData = { databaseUrl: o.databaseUrl, poolMax: o.poolMax ?? 4, policy: o.policy(), alertOn: o.alertOn() };
    const w = startWorker(import.meta.url, 'projector-worker', { workerData: data });
    w.unref();
    w.on('message', (m: FromProjectorThread) => {
      if (m.type === 'projected') o.onProjected?.(m.lags);
      else if (m.type === 'log') o.log?.[m.level](m.o, `${m.m} (projector thread)`);
    });
    w.on('error', (e) => o.log?.error({ err: e.message }, 'projector thread failed; restarting it'));
    w.on('exit', (code) => {
      if (this.worker !== w) return; // stopped on purpose
      o.log?.error({ code }, 'projector thread exited; restarting it');
      // Nothing is lost: unapplied reports stay in the log and the new thread resumes from the stored position.
      setTimeout(() => this.worker === w && this.start(), 1_000).unref();
    });
    this.worker = w;
  }

  /** New reports were committed: one wake-up message per turn of the event loop, however many commits. */
  wake(): void {
    if (!this.worker || this.wakePending) return;
    this.wakePending = true;
    queueMicrotask(() => {
      this.wakePending = false;
      this.worker?.postMessage({ type: 'wake', alertOn: this.opts.alertOn() } satisfies ToProjectorThread);
    });
  }

  /** The policy changed: the next passes evaluate with it. */
  policyChanged(policy: Policy): void {
    this.worker?.postMessage({ type: 'policy', policy } satisfies ToProjectorThread);
  }

  /** Finish the pass in progress and stop the thread (at most 30 s, then it is terminated). */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    await new Promise<void>((res) => {
      const t = setTimeout(res, 30_000);
      w.on('message', (m: FromProjectorThread) => m.type === 'stopped' && (clearTimeout(t), res()));
      w.once('exit', () => (clearTimeout(t), res()));
      w.postMessage({ type: 'stop' } satisfies ToProjectorThread);
    });
    await w.terminate();
  }
}
