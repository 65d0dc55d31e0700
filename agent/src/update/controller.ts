/**
 * Runs update attempts for `posture-agent run`: on the policy's schedule (updates.
 * checkIntervalHours, default 6 h, with jitter so a fleet does not arrive at once) and on the
 * collector's `update-now` command. Only a single executable with a compiled-in trusted root
 * updates itself; from source it says why not.
 */
import * as sea from 'node:sea';
import type { AgentConfig } from '../state/config.js';
import { AGENT_VERSION } from '../version.js';
import { EMBEDDED_TUF_ROOT } from './trust-root.js';
import { EXIT_RESTART_FOR_UPDATE, updateOnce, type UpdateOptions, type UpdateState } from './updater.js';

export interface UpdateControllerOptions {
  stateDir: string;
  config: () => AgentConfig;
  pause: UpdateOptions['pause'];
  resume: UpdateOptions['resume'];
  log: UpdateOptions['log'];
  /** Called with every attempt's result (sent to the collector by the caller). */
  onResult?: (s: UpdateState, commandId?: string) => void;
  exit?: (code: number) => void;
}

function isSingleExecutable(): boolean {
  try {
    return sea.isSea();
  } catch {
    return false;
  }
}

export class UpdateController {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<UpdateState> | null = null;

  constructor(private readonly o: UpdateControllerOptions) {}

  /** Why this agent cannot update itself, or null. */
  static unavailable(): string | null {
    if (!isSingleExecutable()) return 'not running as the single-file agent (run from source)';
    if (!EMBEDDED_TUF_ROOT) return 'this build has no trusted update root (build with --tuf-root)';
    return null;
  }

  start(): void {
    const why = UpdateController.unavailable();
    if (why) {
      this.o.log('info', `self-update off: ${why}`);
      return;
    }
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    const hours = this.o.config().policy.updates?.checkIntervalHours ?? 6;
    const ms = hours * 3_600_000 * (0.75 + Math.random() * 0.5);
    this.timer = setTimeout(() => void this.now().finally(() => this.schedule()), ms);
    this.timer.unref();
  }

  /** One attempt now (an attempt in progress is joined, not doubled). */
  now(commandId?: string): Promise<UpdateState> {
    const why = UpdateController.unavailable();
    if (why) {
      const s: UpdateState = { state: 'refused', from: AGENT_VERSION, reason: `self-update off: ${why}`, at: new Date().toISOString() };
      this.o.onResult?.(s, commandId);
      return Promise.resolve(s);
    }
    if (this.busy) return this.busy;
    const cfg = this.o.config();
    this.busy = updateOnce({
      stateDir: this.o.stateDir,
      server: cfg.server,
      tls: { caFile: cfg.caFile, pinSha256: cfg.pinSha256 },
      deviceId: cfg.deviceId,
      currentVersion: AGENT_VERSION,
      exe: process.execPath,
      trustedRoot: EMBEDDED_TUF_ROOT!,
      rollout: cfg.policy.updates ?? {},
      pause: this.o.pause,
      resume: this.o.resume,
      log: this.o.log,
    })
      .then((s) => {
        this.o.log(s.state === 'refused' || s.state === 'rolled-back' ? 'warn' : 'info', `update: ${s.state}${s.to ? ` ${s.from} -> ${s.to}` : ''}${s.reason ? ` (${s.reason})` : ''}`);
        this.o.onResult?.(s, commandId);
        if (s.state === 'swapped') (this.o.exit ?? process.exit)(EXIT_RESTART_FOR_UPDATE);
        return s;
      })
      .finally(() => {
        this.busy = null;
      });
    return this.busy;
  }
}
