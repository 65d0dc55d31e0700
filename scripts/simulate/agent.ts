/**
 * One simulated agent: a real authenticated WebSocket, real signed reports on an interval,
 * ack/retry/reject handling like the agent's link (unacked reports are kept and resent after
 * a reconnect), answers to check-now, reconnect with full jitter. Its state is an identity,
 * a sequence number, the reports in flight and one timer. With `env.update` it also follows
 * the rollout like the real agent (updater.ts): checks on a jittered interval and on
 * update-now, and "installs" a chosen release by restarting (reconnect) and reporting it.
 */
import WebSocket from 'ws';
import { CLOSE, FATAL_CLOSE_CODES, WS_PATH } from '#shared/protocol/messages.js';
import { uuidv7 } from '../../agent/src/identity/uuid7.js';
import { checksOf, inventoryOf } from './templates.js';
import { SIM_AGENT_VERSION, signCompact, socketToken, type SimIdentity } from './identity.js';
import type { Stats } from './stats.js';
import type { UpdateRollout } from '#shared/policy/updates.js';
import { SimUpdateClient } from './updater.js';

export interface FleetEnv {
  wsUrl: string;
  audience: string;
  intervalMs: number;
  reconnectMaxMs: number;
  stats: Stats;
  /** Acked report ids, when the caller wants to verify storage afterwards. */
  ackedIds?: string[];
  /** Follow the update rollout: collector base URL and the check interval (the real agent's is hours; compressed here). */
  update?: { base: string; checkMs: number };
}

/** Reports kept while unacked (the real agent's spool is bounded too). */
const MAX_PENDING = 20;

export class SimAgent {
  private ws: WebSocket | null = null;
  private seq = 0;
  private pending = new Map<string, { jws: string; sentAt: number }>();
  /** Interval reports signed ahead of time (presign), sent in order before any signed live. */
  private presigned: { reportId: string; jws: string }[] = [];
  private reportTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private open = false;
  private hintMs: number | undefined;
  stopped = false;
  /** The version this agent runs (reports carry it). */
  version = SIM_AGENT_VERSION;
  private rollout: UpdateRollout = {};
  private acceptsUpdateStatus = false;
  private updater: SimUpdateClient | null = null;
  private updateTimer: NodeJS.Timeout | null = null;
  private checking = false;
  /** Installed and restarting: the first acked report after the restart commits it. */
  private installing: { from: string; to: string; reportId: string | null } | null = null;

  constructor(
    readonly id: SimIdentity,
    private env: FleetEnv,
    private localAddress?: string,
  ) {}

  /** Connect now; resolves when the socket is open or has failed once. */
  connect(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const { stats } = this.env;
      const ws = new WebSocket(this.env.wsUrl, {
        headers: { authorization: `Bearer ${socketToken(this.id, this.env.audience)}` },
        perMessageDeflate: false,
        handshakeTimeout: 30_000,
        ...(this.localAddress ? { localAddress: this.localAddress } : {}),
      });
      this.ws = ws;
      ws.on('open', () => {
        this.open = true;
        this.attempt = 0;
        stats.connected++;
        stats.connects++;
        // Unacked reports from before the drop go first, as the agent's spool does.
        for (const [id, p] of this.pending) this.transmit(id, p.jws);
        if (!this.reportTimer) this.scheduleReport(Math.random() * this.env.intervalMs);
        if (this.installing && !this.installing.reportId) this.installing.reportId = this.sendReport('startup');
        if (this.env.update && !this.updateTimer) this.scheduleUpdateCheck(Math.random() * this.env.update.checkMs);
        resolve();
      });
      ws.on('message', (data) => this.onMessage(data.toString()));
      let refused = false;
      ws.on('unexpected-response', (_req, res) => {
        refused = true;
        stats.error(`http-${res.statusCode}`);
        // Honour Retry-After like the agent's link does (hint plus up to 5 s of jitter).
        const ra = Number(res.headers['retry-after']);
        this.hintMs = Number.isFinite(ra) ? ra * 1000 : undefined;
        ws.terminate();
      });
      ws.on('error', (e: Error & { code?: string }) => {
        // terminate() after an HTTP refusal raises its own error: already counted as http-NNN.
        if (!refused) stats.error(e.code ?? e.message.slice(0, 40));
      });
      ws.on('close', (code, reason) => {
        if (this.open) stats.connected--;
        this.open = false;
        this.ws = null;
        stats.close(code);
        resolve();
        if (this.stopped) return;
        // The restart after an install comes straight back, as the service manager restarts it.
        if (this.installing && !this.installing.reportId) {
          this.reconnectTimer = setTimeout(() => void this.connect(), 200);
          return;
        }
        if (FATAL_CLOSE_CODES.includes(code)) {
          stats.error(`fatal-close-${code}`);
          this.stop();
          return;
        }
        this.scheduleReconnect(code, reason.toString());
      });
    });
  }

  private scheduleReconnect(code: number, reason: string): void {
    let delay: number;
    if (this.hintMs !== undefined) {
      delay = this.hintMs + Math.random() * Math.min(this.hintMs + 1, 5_000);
      this.hintMs = undefined;
    } else if (code === CLOSE.retryLater) {
      let hint = 5_000;
      try {
        hint = Number(JSON.parse(reason).retryAfterMs) || hint;
      } catch {
        /* no hint: default */
      }
      delay = hint + Math.random() * 1_000;
    } else {
      // Full jitter, exponential cap: a fleet that lost its collector does not come back in one wave.
      this.attempt++;
      delay = Math.random() * Math.min(this.env.reconnectMaxMs, 1_000 * 2 ** this.attempt);
    }
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private scheduleReport(delay: number): void {
    this.reportTimer = setTimeout(() => {
      this.sendReport('interval');
      this.scheduleReport(this.env.intervalMs);
    }, delay);
  }

  private scheduleUpdateCheck(delay: number): void {
    this.updateTimer = setTimeout(() => {
      void this.updateCheck();
      // The real controller's jitter: 0.75-1.25 of the interval.
      this.scheduleUpdateCheck(this.env.update!.checkMs * (0.75 + Math.random() * 0.5));
    }, delay);
  }

  /** One update check (joined when one is running); installs by restarting. */
  async updateCheck(commandId?: string): Promise<void> {
    const u = this.env.update;
    if (!u || this.checking || this.installing || this.stopped) return;
    this.checking = true;
    const { stats } = this.env;
    try {
      const inv = inventoryOf(this.id.i);
      this.updater ??= new SimUpdateClient(u.base, `${inv.os.platform === 'win32' ? 'win' : inv.os.platform}-${inv.os.arch}`, this.id.deviceId, this.localAddress);
      const r = await this.updater.check(this.version, this.rollout);
      stats.updateChecks++;
      stats.updateBytes += r.bytes;
      if (commandId) this.ws?.send(JSON.stringify({ type: 'command-result', commandId, ok: true, error: r.choice.action === 'update' ? `swapped ${r.choice.to.version}` : `up-to-date: ${r.choice.reason}` }));
      if (r.choice.action === 'update' && !this.stopped) {
        stats.updated++;
        this.installing = { from: this.version, to: r.choice.to.version, reportId: null };
        this.version = r.choice.to.version;
        if (this.ws) this.ws.close(1000, 'restart for update');
        else void this.connect();
      }
    } catch (e) {
      stats.error(`update-${(e as Error).message.slice(0, 40)}`);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Build and sign `n` interval reports now (their seq numbers and collectedAt are taken now),
   * so that a benchmark's measured phase only writes frames: the load generator then does not
   * take CPU from the collector it measures for Ed25519 signing and JSON encoding. Only for a
   * fleet that gets no check-now (a check-now report signed live would carry a later seq than
   * the queued ones).
   */
  presign(n: number): void {
    for (let k = 0; k < n; k++) this.presigned.push(this.build('interval'));
  }

  private build(trigger: string, only?: readonly string[]): { reportId: string; jws: string } {
    const seq = this.seq++;
    const reportId = uuidv7();
    const payload = {
      v: 1,
      reportId,
      deviceId: this.id.deviceId,
      seq,
      collectedAt: new Date().toISOString(),
      agentVersion: this.version,
      trigger,
      inventory: inventoryOf(this.id.i),
      checks: checksOf(this.id.i, seq, only),
      spool: { pending: this.pending.size, evicted: 0, quarantined: 0 },
    };
    return { reportId, jws: signCompact(this.id, { alg: 'EdDSA', kid: this.id.kid }, payload) };
  }

  /** Build, sign and send one report (kept until acked); its id, or null when not built. */
  sendReport(trigger: string, only?: readonly string[]): string | null {
    if (this.stopped) return null;
    if (this.pending.size >= MAX_PENDING) {
      this.env.stats.error('pending-full');
      return null;
    }
    const ready = trigger === 'interval' && !only ? this.presigned.shift() : undefined;
    if (ready) this.env.stats.sentPresigned++;
    else this.env.stats.signedLive++;
    const { reportId, jws } = ready ?? this.build(trigger, only);
    this.pending.set(reportId, { jws, sentAt: 0 });
    if (this.open) this.transmit(reportId, jws);
    return reportId;
  }

  private transmit(id: string, jws: string): void {
    const p = this.pending.get(id);
    if (!p || !this.ws) return;
    p.sentAt = performance.now();
    this.env.stats.sent++;
    this.ws.send(JSON.stringify({ type: 'report', id, jws }));
  }

  private onMessage(text: string): void {
    let m: { type?: string; id?: string; retryAfterMs?: number; duplicate?: boolean; commandId?: string; command?: string; checks?: string[]; accepts?: string[]; policy?: { updates?: UpdateRollout } };
    try {
      m = JSON.parse(text);
    } catch {
      this.env.stats.error('bad-json-from-server');
      return;
    }
    const { stats } = this.env;
    switch (m.type) {
      case 'welcome':
        this.rollout = m.policy?.updates ?? {};
        this.acceptsUpdateStatus = false;
        return;
      case 'features':
        this.acceptsUpdateStatus = !!m.accepts?.includes('update-status');
        return;
      case 'ack': {
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        stats.acked++;
        if (m.duplicate) stats.duplicates++;
        stats.latency(performance.now() - p.sentAt);
        this.env.ackedIds?.push(m.id!);
        if (this.installing && this.installing.reportId === m.id) {
          const { from, to } = this.installing;
          this.installing = null;
          if (this.acceptsUpdateStatus) this.ws?.send(JSON.stringify({ type: 'update-status', state: 'committed', from, to, at: new Date().toISOString() }));
        }
        return;
      }
      case 'retry': {
        stats.retries++;
        const id = m.id!;
        setTimeout(() => this.open && this.transmit(id, this.pending.get(id)?.jws ?? ''), m.retryAfterMs ?? 5_000);
        return;
      }
      case 'reject':
        stats.rejects++;
        stats.error(`reject-${(m as { code?: string }).code ?? 'unknown'}`);
        this.pending.delete(m.id!);
        return;
      case 'command':
        if (m.command === 'check-now') {
          stats.checkNow++;
          this.sendReport(`check-now:${m.commandId}`, m.checks);
        }
        if (m.command === 'policy-update') this.rollout = m.policy?.updates ?? {};
        if (m.command === 'update-now') void this.updateCheck(m.commandId);
        return;
      default:
        stats.error(`unknown-message-${String(m.type).slice(0, 20)}`);
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Stop for good: no reconnect; close the socket normally. */
  stop(): void {
    this.stopped = true;
    if (this.reportTimer) clearTimeout(this.reportTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.ws?.close(1000, 'simulation over');
  }
}

export const wsUrlOf = (server: string) => server.replace(/^http/, 'ws').replace(/\/$/, '') + WS_PATH;
