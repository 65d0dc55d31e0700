/**
 * The simulator's controller: splits N agents over P worker processes and source addresses,
 * aggregates their stats, and stops them. Used by the CLI (main.ts) and by the benchmark.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeSnapshots, type StatsSnapshot } from './stats.js';
import type { WorkerInit } from './worker.js';

export interface FleetOptions {
  server: string;
  secret: string;
  agents: number;
  intervalSec: number;
  processes: number;
  sourceIps: string[];
  /** First agent index (lets two fleets use disjoint identities). */
  offset?: number;
  cacheDir?: string;
  enrollConcurrency?: number;
  connectConcurrency?: number;
  reconnectMaxMs?: number;
  recordAcks?: boolean;
  /** Simulated agents follow the update rollout, checking every this many seconds (the real agent: hours). */
  updateCheckSec?: number;
  /**
   * Each agent signs this many seconds of interval reports before it connects and sends those
   * first (the benchmark's fair ingest phase: no signing while measured). Stats count reports
   * sent pre-signed and signed live, so a caller can check its window used only the former.
   */
  presignSec?: number;
  /** Extra node flags for workers (e.g. --max-old-space-size). */
  execArgv?: string[];
}

const ROOT = resolve(import.meta.dirname, '..', '..');

export class Fleet {
  private workers: ChildProcess[] = [];
  private snaps = new Map<number, StatsSnapshot>();
  private enrolledWorkers = 0;
  private rampedWorkers = 0;
  private presignedWorkers = 0;
  readonly deviceIds: string[] = [];
  private ackFiles: string[] = [];
  readonly startedAt = Date.now();
  /** Reports pre-signed by all workers, and the longest time one worker took (presignSec). */
  readonly presigned = { reports: 0, ms: 0 };

  private constructor(readonly opts: FleetOptions) {}

  static async start(opts: FleetOptions): Promise<Fleet> {
    const f = new Fleet(opts);
    await f.spawn();
    return f;
  }

  private async spawn(): Promise<void> {
    const o = this.opts;
    const info = (await (await fetch(`${o.server}/agent/v1/info`)).json()) as { collectorId: string };
    const cacheDir = o.cacheDir ?? join(ROOT, 'node_modules', '.cache', 'posture-simulate');
    const per = Math.ceil(o.agents / o.processes);
    const offset = o.offset ?? 0;
    for (let w = 0; w < o.processes; w++) {
      const from = offset + w * per;
      const to = offset + Math.min(o.agents, (w + 1) * per);
      if (from >= to) break;
      // Each worker gets a disjoint share of the source addresses, so ports never collide.
      const ips = o.sourceIps.filter((_, k) => o.sourceIps.length < o.processes || k % o.processes === w);
      const ackFile = o.recordAcks ? join(cacheDir, `acked-${process.pid}-${w}.txt`) : undefined;
      if (ackFile) this.ackFiles.push(ackFile);
      const init: WorkerInit = {
        worker: w,
        server: o.server,
        secret: o.secret,
        audience: info.collectorId,
        salt: info.collectorId,
        from,
        to,
        intervalMs: o.intervalSec * 1000,
        reconnectMaxMs: o.reconnectMaxMs ?? 30_000,
        sourceIps: ips,
        cacheFile: join(cacheDir, `identities-${info.collectorId.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`),
        enrollConcurrency: o.enrollConcurrency ?? 16,
        connectConcurrency: o.connectConcurrency ?? 200,
        recordAcksFile: ackFile,
        ...(o.updateCheckSec ? { updateCheckMs: o.updateCheckSec * 1000 } : {}),
        ...(o.presignSec ? { presignSec: o.presignSec } : {}),
      };
      const child = fork(join(import.meta.dirname, 'worker.ts'), [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (m: { type: string; worker: number; snap?: StatsSnapshot; ids?: string[]; reports?: number; ms?: number }) => {
        if (m.snap) this.snaps.set(m.worker, m.snap);
        if (m.type === 'enrolled') this.enrolledWorkers++;
        if (m.type === 'ramped') this.rampedWorkers++;
        if (m.type === 'devices') this.deviceIds.push(...m.ids!);
        if (m.type === 'presigned') {
          this.presigned.reports += m.reports!;
          this.presigned.ms = Math.max(this.presigned.ms, m.ms!);
          // All workers signed: let them connect together (worker.ts waits for this).
          if (++this.presignedWorkers === this.workers.length) for (const w of this.workers) w.send({ cmd: 'go' });
        }
      });
      child.send({ cmd: 'init', init });
      this.workers.push(child);
    }
  }

  get stats(): StatsSnapshot {
    return mergeSnapshots([...this.snaps.values()]);
  }
  get enrolled(): boolean {
    return this.enrolledWorkers === this.workers.length;
  }
  get ramped(): boolean {
    return this.rampedWorkers === this.workers.length;
  }
  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  /** Wait until cond(stats) holds, or throw after timeoutMs. */
  async until(cond: (s: StatsSnapshot) => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond(this.stats)) {
      if (Date.now() > end) throw new Error(`simulator: timed out waiting for ${what}`);
      if (this.workers.every((w) => w.exitCode !== null)) throw new Error('simulator: all workers exited');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stop all agents; returns final stats and (if recorded) every acked report id. */
  async stop(): Promise<{ stats: StatsSnapshot; ackedIds: string[] }> {
    const finals = this.workers.map(
      (w) =>
        new Promise<void>((res) => {
          if (w.exitCode !== null) return res();
          w.on('message', (m: { type: string }) => m.type === 'final' && res());
          w.on('exit', () => res());
          setTimeout(res, 15_000).unref();
        }),
    );
    for (const w of this.workers) if (w.connected) w.send({ cmd: 'stop' });
    await Promise.all(finals);
    for (const w of this.workers) if (w.exitCode === null) w.kill();
    const ackedIds: string[] = [];
    for (const f of this.ackFiles) {
      if (!existsSync(f)) continue;
      ackedIds.push(...readFileSync(f, 'utf8').split('\n').filter(Boolean));
      unlinkSync(f);
    }
    return { stats: this.stats, ackedIds };
  }
}
