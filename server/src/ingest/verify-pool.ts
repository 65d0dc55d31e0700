/**
 * A small worker_threads pool that runs report verification (verify.ts: signature, payload
 * parse, schema and storable checks) off the collector's event loop. Off by default
 * (POSTURE_VERIFY_WORKERS): on a 2-core machine shared with PostgreSQL it did not pay
 * (docs/benchmarks.md, "Session 4, round 2 (perf2)"); it is meant for collectors with spare cores.
 *
 * The results are the same as verifyReport's in the main thread (same codes, a failure is
 * refused once). Two outcomes are the pool's own, both answered with `retry` and never a
 * reject: `verifier_busy` when more than `maxQueued` reports wait (back-pressure, the same
 * answer a full batcher gives), and `verifier_failed` when a worker threw or died (an
 * unexpected fault, retried much later, as an unexpected storage failure is).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../shared/worker-file.js';
import type { JsonWebKey } from 'node:crypto';
import type { DeviceAuthInfo, DeviceKey } from '../gateway/device-keys.js';
import type { VerifyResult } from './verify.js';
import type { ReportPayload } from '#shared/protocol/messages.js';

/** One key as sent to a worker: plain values (times in ms since the epoch). */
interface WireKey {
  kid: string;
  jwk: JsonWebKey;
  revokedAt: number | null;
  retiredAt: number | null;
}

/** A request to a worker; `n` pairs it with its reply. */
export interface VerifyRequest {
  n: number;
  deviceId: string;
  keys: WireKey[];
  messageId: string;
  jws: string;
  now: number;
}

/** A worker's reply: the verification result without the JWS (the caller has it), or the error it threw. */
export type VerifyReply =
  | { n: number; result: { ok: true; payload: ReportPayload; kid: string } | Extract<VerifyResult, { ok: false }> }
  | { n: number; error: string };

export interface VerifyPoolOptions {
  /** Reports waiting for a worker (all workers together) before more are told to retry. Default 1,024. */
  maxQueued?: number;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
}

/**
 * The pool size a setting asks for: 'auto' is the machine's parallelism less one core for the
 * event loop, at least 1; a number is taken as is; 0 or '' means no pool.
 */
export function verifyPoolSize(setting: string | number): number {
  if (setting === 'auto') return Math.max(1, availableParallelism() - 1);
  return Math.max(0, Math.floor(Number(setting) || 0));
}

const wireKeys = new WeakMap<DeviceKey, WireKey>();
function wire(k: DeviceKey): WireKey {
  let w = wireKeys.get(k);
  if (!w) wireKeys.set(k, (w = { kid: k.kid, jwk: k.jwk as JsonWebKey, revokedAt: k.revokedAt?.getTime() ?? null, retiredAt: k.retiredAt?.getTime() ?? null }));
  return w;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, { jws: string; resolve: (r: VerifyResult) => void }>;
  /** Exited or failed: not given work; replaced after RESPAWN_MS. */
  dead: boolean;
}

/**
 * A lost worker is replaced after this long, not at once: a worker that cannot start (a missing
 * verify-worker.js beside the bundle) must not be respawned in a tight loop.
 */
const RESPAWN_MS = 1_000;

/** The verification pool; `verify` has verifyReport's contract plus the two retry outcomes above. */
export class VerifyPool {
  private slots: Slot[] = [];
  private next = 0;
  private queued = 0;
  private closing = false;
  private readonly maxQueued: number;

  constructor(readonly size: number, private readonly opts: VerifyPoolOptions = {}) {
    if (size < 1) throw new Error('VerifyPool needs at least one worker');
    this.maxQueued = opts.maxQueued ?? 1024;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker(import.meta.url, 'verify-worker');
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), dead: false };
    worker.on('message', (m: VerifyReply) => {
      const p = slot.inFlight.get(m.n);
      if (!p) return;
      slot.inFlight.delete(m.n);
      this.queued--;
      if ('error' in m) {
        this.opts.log?.error({ err: m.error }, 'report verification threw in a worker');
        return p.resolve(failed());
      }
      const r = m.result;
      p.resolve(r.ok ? { ok: true, report: { payload: r.payload, jws: p.jws, kid: r.kid } } : r);
    });
    const lost = (why: string) => {
      if (slot.dead) return; // 'error' is followed by 'exit'
      slot.dead = true;
      if (!this.closing) this.opts.log?.error({ why, n: slot.inFlight.size }, 'verify worker lost; its reports are told to retry');
      for (const p of slot.inFlight.values()) p.resolve(failed());
      this.queued -= slot.inFlight.size;
      slot.inFlight.clear();
      if (this.closing) return;
      setTimeout(() => {
        const k = this.slots.indexOf(slot);
        if (k >= 0 && !this.closing) this.slots[k] = this.spawn();
      }, RESPAWN_MS).unref();
    };
    worker.on('error', (e) => lost(e.message));
    worker.on('exit', (code) => lost(`exit ${code}`));
    return slot;
  }

  /** Reports handed to workers and not answered yet. */
  get pending(): number {
    return this.queued;
  }

  verify(info: DeviceAuthInfo, messageId: string, jws: string, now = Date.now()): Promise<VerifyResult> {
    if (this.closing) return Promise.resolve(failed());
    if (this.queued >= this.maxQueued) return Promise.resolve({ ok: false, code: 'verifier_busy', message: 'the collector is busy verifying reports', retryAfterMs: 1_000 + Math.floor(Math.random() * 2_000) });
    // Round robin over live workers: requests cost about the same, and a per-socket chain keeps
    // one in flight per device. None alive (all being replaced): retry later, never wait here.
    const live = this.slots.filter((x) => !x.dead);
    if (!live.length) return Promise.resolve(failed());
    const slot = live[this.next++ % live.length];
    const n = this.next;
    this.queued++;
    return new Promise((resolve) => {
      slot.inFlight.set(n, { jws, resolve });
      const req: VerifyRequest = { n, deviceId: info.deviceId, keys: [...info.keys.values()].map(wire), messageId, jws, now };
      slot.worker.postMessage(req);
    });
  }

  /** Stop the workers; anything still in flight is told to retry. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

const failed = (): VerifyResult => ({ ok: false, code: 'verifier_failed', message: 'the collector could not verify this report now', retryAfterMs: 60_000 });
