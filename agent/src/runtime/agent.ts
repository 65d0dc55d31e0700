/**
 * The running agent: a scheduler (policy interval, check-now, start-up, resume from sleep)
 * that runs the checks, signs and spools each report before any send, and a link that
 * delivers the spool. Commands from the collector arrive here.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { AgentUpdateStatus, FEATURE_SOFTWARE_DELTA, FEATURE_UPDATE_STATUS, type ServerCommand, type ServerMessage } from '#shared/protocol/messages.js';
import type { CheckId } from '#shared/checks/ids.js';
import { Spool } from '../spool/spool.js';
import { files } from '../state/paths.js';
import { loadConfig, saveConfig, type AgentConfig } from '../state/config.js';
import { generateDeviceKey, loadDeviceKey, loadNextKey, promoteNextKey, saveKey, signJson, type DeviceKey } from '../identity/keys.js';
import { AgentLink, type LinkState } from '../transport/link.js';
import { buildPayload, type CycleResult } from '../report/build.js';
import { loadSoftwareSent, saveSoftwareSent, softwareDelta, type SoftwareSentState } from '../report/software-delta.js';
import { readStatus, writeStatus, type AgentStatus } from './status-file.js';
import { AGENT_VERSION } from '../version.js';
import { ReportPayload } from '#shared/protocol/messages.js';
import { compile } from '#shared/schema/validate.js';
import { toStorable } from '#shared/schema/storable.js';

const validatePayload = compile(ReportPayload);
const validateUpdateStatus = compile(AgentUpdateStatus);

export type CycleRunner = (opts: { only?: CheckId[]; thresholds?: Record<string, unknown>; customChecks?: readonly unknown[] }) => Promise<CycleResult>;

export interface AgentRuntimeOptions {
  stateDir: string;
  runCycle: CycleRunner;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;
  /** Called after every cycle with the results (desktop notifications hook in here). */
  onCycle?: (cycle: CycleResult, cfg: AgentConfig) => void;
  /** Called after the collector acknowledged a report (the update trial's proof). */
  onAck?: () => void;
  /** The collector's `update-now` command (agent/src/update/controller.ts). */
  onUpdateNow?: (commandId: string) => void;
  /** The collector announced it accepts `update-status` (once per connection): send the last state. */
  onUpdateStatusAccepted?: () => void;
}

export class AgentRuntime {
  private cfg: AgentConfig;
  private key!: DeviceKey;
  private spool: Spool;
  private link!: AgentLink;
  private timer: NodeJS.Timeout | null = null;
  private wake: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: { trigger: string; only?: CheckId[] } | null = null;
  private status: AgentStatus;
  private rotating: { commandId: string } | null = null;
  /** Whether this connection's collector announced `update-status` (reset on every welcome). */
  private acceptsUpdateStatus = false;
  /** Software lists by hash (report/software-delta.ts): kept across restarts, for reports built offline. */
  private software: SoftwareSentState;
  /** After a welcome: forget FEATURE_SOFTWARE_DELTA unless `features` confirms it (a collector rolled back to an older version). */
  private featuresTimer: NodeJS.Timeout | null = null;
  private readonly log: NonNullable<AgentRuntimeOptions['log']>;

  constructor(private readonly opts: AgentRuntimeOptions) {
    this.cfg = loadConfig(opts.stateDir);
    const f = files(opts.stateDir);
    this.spool = new Spool(f.spool, f.quarantine, {
      maxBytes: this.cfg.spool?.maxBytes,
      maxAgeMs: this.cfg.spool ? this.cfg.spool.maxAgeDays * 86_400_000 : undefined,
    });
    this.log = opts.log ?? ((l, m, e) => console[l === 'info' ? 'log' : l](`[posture-agent] ${m}`, e ? JSON.stringify(e) : ''));
    // Carry the last delivery over a restart, or `status` would say "last delivered never" while
    // the collector is unreachable.
    this.software = loadSoftwareSent(opts.stateDir);
    const prev = readStatus(opts.stateDir);
    const lastAckAt = prev?.deviceId === this.cfg.deviceId ? prev.lastAckAt : null;
    this.status = { deviceId: this.cfg.deviceId, server: this.cfg.server, connection: 'waiting', revoked: false, lastCycleAt: null, lastAckAt, lastError: null, spool: this.spool.stats, checks: [] };
  }

  /** The current config (policy pushes included). */
  get config(): AgentConfig {
    return this.cfg;
  }

  /** Send a result for a collector command (e.g. update-now). */
  commandResult(commandId: string, ok: boolean, error?: string): void {
    this.link.send({ type: 'command-result', commandId, ok, ...(error ? { error: error.slice(0, 500) } : {}) });
  }

  /**
   * Send an update attempt's state, if this connection's collector accepts `update-status`
   * (an older one would close the socket). Returns whether it was sent; an unsent state is
   * still in <state>/update/state.json and goes out with the next connection's `features`.
   */
  updateStatus(s: Omit<AgentUpdateStatus, 'type'>): boolean {
    if (!this.acceptsUpdateStatus) return false;
    const msg = { type: 'update-status', ...s, ...(s.reason ? { reason: s.reason.slice(0, 500) } : {}) };
    // The collector closes the socket on a message its schema refuses, and this one would be
    // resent on every connection: a state that does not fit (a strange version string from
    // a state file) is logged and not sent, never looped.
    const v = validateUpdateStatus.validate(msg);
    if (!v.ok) {
      this.log('warn', `update state not sent to the collector: ${v.errors[0]}`);
      return false;
    }
    return this.link.send(msg);
  }

  get intervalSec(): number {
    return this.cfg.intervalOverrideSec ?? this.cfg.policy.intervalSec;
  }

  async start(): Promise<void> {
    this.key = await loadDeviceKey(this.opts.stateDir);
    this.link = new AgentLink(
      {
        server: this.cfg.server,
        deviceId: this.cfg.deviceId,
        audience: this.cfg.audience,
        key: this.key,
        spool: this.spool,
        tls: { caFile: this.cfg.caFile, pinSha256: this.cfg.pinSha256 },
        backoffBaseMs: this.cfg.backoff?.baseMs,
        backoffCapMs: this.cfg.backoff?.capMs,
        agentVersion: AGENT_VERSION,
      },
      {
        onCommand: (c) => this.onCommand(c),
        onState: (s, d) => this.onLinkState(s, d),
        onAck: () => {
          this.saveStatusSoon();
          this.opts.onAck?.();
        },
        // A refused report moved to quarantine: `status` should count it now, not at the next cycle.
        onReject: () => this.saveStatusSoon(),
        onMessage: (m) => this.onServerMessage(m),
        onKeyRefused: () => this.tryNextKey(),
        log: this.log,
      },
    );
    this.link.start();
    this.trigger('startup');
    this.schedule();
    this.watchForResume();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.featuresTimer) clearTimeout(this.featuresTimer);
    if (this.wake) clearInterval(this.wake);
    await this.running;
    this.link.stop();
    this.saveStatus();
  }

  /** Run a cycle now (or right after the one in progress). */
  trigger(trigger: string, only?: CheckId[]): void {
    if (this.status.revoked || this.status.keyReplaced) return;
    if (this.running) {
      this.queued = { trigger, only };
      return;
    }
    this.running = this.cycle(trigger, only).finally(() => {
      this.running = null;
      const q = this.queued;
      this.queued = null;
      if (q) this.trigger(q.trigger, q.only);
    });
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.trigger('interval');
      this.schedule();
    }, this.intervalSec * 1000);
  }

  /** A laptop waking from sleep: timers fire late. A large gap means "check now". */
  private watchForResume(): void {
    let last = Date.now();
    this.wake = setInterval(() => {
      const now = Date.now();
      if (now - last > 60_000 + 30_000) this.trigger('resume');
      last = now;
    }, 30_000);
    this.wake.unref();
  }

  private async cycle(trigger: string, only?: CheckId[]): Promise<void> {
    try {
      const result = await this.opts.runCycle({ only, thresholds: this.cfg.policy.thresholds, customChecks: this.cfg.policy.customChecks });
      const st = this.spool.stats;
      const link = this.spool.chainNext();
      const sw = softwareDelta(result.inventory, this.software, new Date());
      const payload = toStorable(buildPayload({ deviceId: this.cfg.deviceId, seq: link.seq, prevHash: link.prevHash, cycle: { ...result, inventory: sw.inventory }, trigger, spool: { pending: st.pending, evicted: st.evicted, quarantined: st.quarantined } }));
      const valid = validatePayload.validate(payload);
      // A payload the collector would refuse is a bug here; say so loudly rather than ship it.
      if (!valid.ok) throw new Error(`report payload failed its schema: ${valid.errors.join('; ')}`);
      const jws = await signJson(this.key, payload);
      // Spool first: only a durably stored report may be sent.
      const evicted = this.spool.append({ id: payload.reportId, seq: payload.seq, createdAt: payload.collectedAt, jws });
      if (evicted) this.log('warn', `spool full: evicted ${evicted} oldest report(s); total evicted ${this.spool.stats.evicted}`);
      if (sw.sent) this.setSoftwareSent({ ...this.software, last: sw.sent });
      this.status.lastCycleAt = payload.collectedAt;
      this.status.checks = result.checks.map((c) => ({ id: c.id, status: c.status, summary: c.summary, remediation: c.remediation.steps }));
      this.saveStatus();
      this.opts.onCycle?.(result, this.cfg);
      this.link.kick();
    } catch (e) {
      this.log('error', `check cycle failed: ${(e as Error).message}`);
    }
  }

  private onCommand(c: ServerCommand): void {
    switch (c.command) {
      case 'check-now':
        this.log('info', `collector asked for a re-check (${c.commandId})`);
        this.trigger(`check-now:${c.commandId}`, c.checks);
        return;
      case 'policy-update':
        if (c.policy) {
          this.cfg = { ...this.cfg, policy: c.policy };
          saveConfig(this.opts.stateDir, this.cfg);
          this.schedule();
          this.log('info', `policy updated: interval ${this.intervalSec}s`);
        }
        return;
      case 'update-now':
        this.log('info', `collector asked for an update check (${c.commandId})`);
        this.opts.onUpdateNow?.(c.commandId);
        return;
      case 'rotate-key':
        void this.rotateKey(c.commandId).catch((e) => this.log('error', `key rotation failed: ${(e as Error).message}`));
        return;
    }
  }

  /**
   * Generate a new key, keep it as "next" (durably) and prove possession of both keys.
   * It becomes current only when the collector confirms; if the confirmation is lost, the
   * next connection attempt with the old key is refused and we switch to the next key then.
   */
  private async rotateKey(commandId: string): Promise<void> {
    const { key: next, privateJwk } = await generateDeviceKey();
    saveKey(files(this.opts.stateDir).nextKey, privateJwk);
    const claim = { deviceId: this.cfg.deviceId, commandId, newJwk: next.publicJwk };
    this.rotating = { commandId };
    this.link.send({
      type: 'command-result',
      commandId,
      ok: true,
      oldKeyProof: await signJson(this.key, claim),
      newKeyProof: await signJson(next, { deviceId: this.cfg.deviceId, commandId }),
    });
  }

  private setSoftwareSent(st: SoftwareSentState): void {
    this.software = st;
    try {
      saveSoftwareSent(this.opts.stateDir, st);
    } catch (e) {
      // Not fatal: at worst the next report sends the whole list again.
      this.log('warn', `could not save ${files(this.opts.stateDir).softwareSent}: ${(e as Error).message}`);
    }
  }

  private onServerMessage(m: ServerMessage): void {
    if (m.type === 'features') {
      if (this.featuresTimer) clearTimeout(this.featuresTimer);
      this.featuresTimer = null;
      const delta = m.accepts.includes(FEATURE_SOFTWARE_DELTA);
      if (delta !== this.software.accepts) this.setSoftwareSent({ ...this.software, accepts: delta });
      this.acceptsUpdateStatus = m.accepts.includes(FEATURE_UPDATE_STATUS);
      if (this.acceptsUpdateStatus) this.opts.onUpdateStatusAccepted?.();
      return;
    }
    if (m.type === 'welcome') {
      this.acceptsUpdateStatus = false;
      // A collector sends `features` right after its welcome; one that does not (an older
      // version) would refuse reports carrying a software hash, so stop sending them.
      if (this.featuresTimer) clearTimeout(this.featuresTimer);
      this.featuresTimer = setTimeout(() => {
        this.featuresTimer = null;
        if (this.software.accepts) this.setSoftwareSent({ ...this.software, accepts: false });
      }, 10_000);
      this.featuresTimer.unref();
      // Reports carry this machine's time; a clock far off makes evidence wrong (and a clock
      // ahead makes the collector hold reports back), so measure it and tell the employee.
      const skew = Math.round((Date.parse(m.serverTime) - Date.now()) / 1000);
      if (Number.isFinite(skew)) {
        if (Math.abs(skew) > 120 && this.status.clockSkewSec !== skew) this.log('warn', `this computer's clock differs from the collector's by ${skew}s; please correct the time`);
        this.status.clockSkewSec = skew;
        this.saveStatusSoon();
      }
      return;
    }
    if (this.rotating && m.type === 'ack' && m.id === this.rotating.commandId) {
      promoteNextKey(this.opts.stateDir);
      this.rotating = null;
      void loadDeviceKey(this.opts.stateDir).then((k) => {
        this.key = k;
        this.link.setKey(k);
        this.cfg = { ...this.cfg, keyId: k.kid };
        saveConfig(this.opts.stateDir, this.cfg);
        this.log('info', `device key rotated; new key id ${k.kid}`);
      });
    } else if (this.rotating && m.type === 'reject' && m.id === this.rotating.commandId) {
      const p = files(this.opts.stateDir).nextKey;
      if (existsSync(p)) unlinkSync(p);
      this.rotating = null;
    }
  }

  private async tryNextKey(): Promise<DeviceKey | null> {
    const next = await loadNextKey(this.opts.stateDir);
    if (!next) return null;
    this.log('warn', 'collector refused the current key; trying the rotated key');
    promoteNextKey(this.opts.stateDir);
    this.key = next;
    this.cfg = { ...this.cfg, keyId: next.kid };
    saveConfig(this.opts.stateDir, this.cfg);
    return next;
  }

  private onLinkState(s: LinkState, detail?: string): void {
    this.status.connection = s;
    if (s === 'revoked' || s === 'replaced') {
      if (s === 'revoked') this.status.revoked = true;
      else this.status.keyReplaced = true;
      this.status.lastError = detail ?? s;
      if (this.timer) clearTimeout(this.timer);
    }
    this.saveStatus();
  }

  private statusTimer: NodeJS.Timeout | null = null;
  /** Acks can arrive hundreds per second while draining; write status at most once a second. */
  private saveStatusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.saveStatus();
    }, 1000);
    this.statusTimer.unref();
  }

  private saveStatus(): void {
    this.status.spool = this.spool.stats;
    this.status.lastAckAt = this.link?.lastAckAt?.toISOString() ?? this.status.lastAckAt;
    this.status.lastError = this.link?.lastError ?? this.status.lastError;
    writeStatus(this.opts.stateDir, this.status);
  }
}
