/**
 * The agent's connection to the collector: authenticate with a fresh device JWT, drain the
 * spool in order with a bounded number of reports in flight, delete a report only on ack,
 * honour "retry" hints, reconnect with backoff + full jitter, detect dead peers with pings,
 * and stop for good after a revocation.
 */
import WebSocket from 'ws';
import { CLOSE, FATAL_CLOSE_CODES, ServerMessage, WS_PATH, type ServerCommand } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import { compile } from '#shared/schema/validate.js';
import { parseJsonLimited } from '#shared/protocol/json.js';
import type { Spool } from '../spool/spool.js';
import { deviceToken, type DeviceKey } from '../identity/keys.js';
import { backoffDelay } from './backoff.js';
import { plainNetworkError } from '../identity/pending.js';
import { tlsOptions, type TlsSettings } from './tls.js';

const validateServer = compile(ServerMessage);

export type LinkState = 'connecting' | 'connected' | 'waiting' | 'revoked' | 'replaced' | 'stopped';

export interface LinkEvents {
  onCommand(cmd: ServerCommand): void;
  onState(state: LinkState, detail?: string): void;
  onAck?(id: string, duplicate: boolean): void;
  onReject?(id: string, code: string, message: string): void;
  /** The collector refused the current key (4002) — try the pending rotated key, if any. */
  onKeyRefused?(): Promise<DeviceKey | null>;
  /** Generic message hook (e.g. acks for rotation commands). */
  onMessage?(msg: ServerMessage): void;
  log(level: 'info' | 'warn' | 'error', msg: string, extra?: object): void;
}

export interface LinkOptions {
  server: string;
  deviceId: string;
  audience: string;
  key: DeviceKey;
  spool: Spool;
  tls?: TlsSettings;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  maxInFlight?: number;
  pingIntervalMs?: number;
  deadPeerTimeoutMs?: number;
  agentVersion: string;
}

export function wsUrl(server: string): string {
  const u = new URL(server);
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  u.pathname = WS_PATH;
  return u.toString();
}

export class AgentLink {
  private ws: WebSocket | null = null;
  private state: LinkState = 'waiting';
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pauseUntil = 0;
  private pauseTimer: NodeJS.Timeout | null = null;
  private inFlight = new Set<string>();
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  lastAckAt: Date | null = null;
  lastError: string | null = null;

  constructor(private opts: LinkOptions, private readonly ev: LinkEvents) {}

  get connected(): boolean {
    return this.state === 'connected';
  }
  get currentState(): LinkState {
    return this.state;
  }
  setKey(key: DeviceKey): void {
    this.opts = { ...this.opts, key };
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000, 'agent stopping');
    this.ws?.terminate();
    this.setState('stopped');
  }

  send(msg: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** New report in the spool, or a pause ended: send what the window allows. */
  kick(): void {
    if (this.state !== 'connected' || Date.now() < this.pauseUntil) return;
    const max = this.opts.maxInFlight ?? 8;
    for (const r of this.opts.spool.pending()) {
      if (this.inFlight.size >= max) break;
      if (this.inFlight.has(r.id)) continue;
      this.inFlight.add(r.id);
      if (!this.send({ type: 'report', id: r.id, jws: r.jws })) {
        this.inFlight.delete(r.id);
        break;
      }
    }
  }

  private setState(s: LinkState, detail?: string): void {
    this.state = s;
    this.ev.onState(s, detail);
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.pauseTimer, this.pingTimer, this.pongTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = this.pauseTimer = this.pingTimer = this.pongTimer = null;
  }

  private scheduleReconnect(hintMs?: number): void {
    if (this.stopped || this.state === 'revoked' || this.state === 'replaced') return;
    const base = this.opts.backoffBaseMs ?? 1_000;
    const cap = this.opts.backoffCapMs ?? 300_000;
    // A server hint is a floor; jitter on top keeps a restarted collector from a thundering herd.
    const delay = hintMs !== undefined ? hintMs + Math.floor(Math.random() * Math.min(hintMs + 1, 5_000)) : backoffDelay(this.attempt, base, cap);
    this.attempt++;
    this.setState('waiting', `reconnecting in ${Math.round(delay / 100) / 10}s`);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    let token: string;
    try {
      token = await deviceToken(this.opts.key, this.opts.deviceId, this.opts.audience);
    } catch (e) {
      this.lastError = `cannot sign token: ${(e as Error).message}`;
      return this.scheduleReconnect();
    }
    const ws = new WebSocket(wsUrl(this.opts.server), {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: 15_000,
      maxPayload: LIMITS.maxMessageBytes,
      perMessageDeflate: false,
      ...tlsOptions(this.opts.tls ?? {}),
    });
    this.ws = ws;
    this.inFlight.clear();

    ws.on('open', () => {
      // Backoff resets on the collector's welcome, not here: auth refusals (4002-4007) close the
      // socket after the handshake, and resetting on 'open' made a refused agent retry at base rate.
      this.lastError = null;
      this.setState('connected');
      this.send({ type: 'hello', agentVersion: this.opts.agentVersion, spoolPending: this.opts.spool.size });
      this.heartbeat();
      this.kick();
    });
    ws.on('pong', () => {
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = null;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const parsed = parseJsonLimited(data.toString(), LIMITS.maxJsonDepth);
      if (!parsed.ok) return this.ev.log('warn', `collector sent invalid JSON: ${parsed.error}`);
      const v = validateServer.validate(parsed.value);
      if (!v.ok) return this.ev.log('warn', `collector sent an unknown message: ${v.errors[0]}`);
      this.onMessage(v.value);
    });
    ws.on('unexpected-response', (_req, res) => {
      // e.g. 503 during collector shutdown: honour Retry-After.
      const ra = Number(res.headers['retry-after']);
      this.lastError = `collector answered HTTP ${res.statusCode}`;
      ws.terminate();
      this.afterClose(0, '', Number.isFinite(ra) ? ra * 1000 : undefined);
    });
    ws.on('error', (e) => {
      // Shown by `status`: plain words ("connection refused: the collector is not running…"), not an errno dump.
      this.lastError = plainNetworkError(e, this.opts.server);
      this.ev.log('warn', `connection error: ${e.message}`);
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.afterClose(code, reasonBuf.toString());
    });
  }

  private closed = new WeakSet<WebSocket>();

  private afterClose(code: number, reason: string, hintMs?: number): void {
    const ws = this.ws;
    if (ws) {
      if (this.closed.has(ws)) return;
      this.closed.add(ws);
    }
    this.clearTimers();
    this.inFlight.clear();
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.includes(code)) {
      this.lastError = code === CLOSE.revoked ? 'this device was revoked by an administrator' : 'the collector does not know this device';
      this.ev.log('error', `${this.lastError}; not reconnecting`);
      this.setState('revoked', this.lastError);
      return;
    }
    if (code === CLOSE.keyReplaced) {
      // Another install of this machine was approved by an administrator: this key is done for good.
      this.lastError = 'an administrator replaced this device’s key (another installation of this computer was approved); this agent no longer reports. If that is wrong, tell IT; to report from here again, re-enroll.';
      this.ev.log('error', `${this.lastError}; not reconnecting`);
      this.setState('replaced', this.lastError);
      return;
    }
    if (code === CLOSE.retryLater) {
      let ms = 5_000;
      try {
        ms = Math.max(0, Math.min(600_000, Number(JSON.parse(reason).retryAfterMs) || 0));
      } catch {
        /* keep the default */
      }
      return this.scheduleReconnect(ms);
    }
    if (code === CLOSE.badSignature && this.ev.onKeyRefused) {
      void this.ev.onKeyRefused().then((next) => {
        if (next) {
          this.opts = { ...this.opts, key: next };
          this.scheduleReconnect(0);
        } else this.scheduleReconnect();
      });
      return;
    }
    if (code && code !== 1000 && code !== 1006) this.lastError = `closed by collector: ${code} ${reason}`;
    this.scheduleReconnect(hintMs);
  }

  private heartbeat(): void {
    const interval = this.opts.pingIntervalMs ?? 25_000;
    const timeout = this.opts.deadPeerTimeoutMs ?? 10_000;
    this.pingTimer = setTimeout(() => {
      if (this.ws?.readyState !== WebSocket.OPEN) return;
      this.ws.ping();
      this.pongTimer = setTimeout(() => {
        this.ev.log('warn', 'collector did not answer ping; reconnecting');
        this.lastError = 'dead peer (no pong)';
        const ws = this.ws;
        ws?.terminate();
        this.afterClose(1006, 'dead peer');
      }, timeout);
      this.heartbeat();
    }, interval);
  }

  private onMessage(msg: ServerMessage): void {
    this.ev.onMessage?.(msg);
    switch (msg.type) {
      case 'welcome':
        this.attempt = 0;
        return;
      case 'ack':
        this.inFlight.delete(msg.id);
        if (this.opts.spool.remove(msg.id)) {
          this.lastAckAt = new Date();
          this.ev.onAck?.(msg.id, !!msg.duplicate);
        }
        return this.kick();
      case 'retry': {
        this.inFlight.delete(msg.id);
        this.pauseUntil = Math.max(this.pauseUntil, Date.now() + msg.retryAfterMs);
        if (this.pauseTimer) clearTimeout(this.pauseTimer);
        this.pauseTimer = setTimeout(() => this.kick(), Math.max(0, this.pauseUntil - Date.now()) + 10);
        return;
      }
      case 'reject':
        this.inFlight.delete(msg.id);
        this.ev.log('error', `collector refused report ${msg.id}: ${msg.code} ${msg.message}; kept in quarantine`);
        this.opts.spool.reject(msg.id);
        this.ev.onReject?.(msg.id, msg.code, msg.message);
        return this.kick();
      case 'command':
        return this.ev.onCommand(msg);
    }
  }
}
