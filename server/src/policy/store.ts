/**
 * The policy in force. Sources, in order: the policy file (POSTURE_POLICY_FILE, reloaded on
 * change or SIGHUP), edits through the API, else the built-in default. Every distinct version
 * is recorded in policy_versions (with who/when/source) so the history can be shown to auditors,
 * and other collectors are told to reload through NOTIFY.
 */
import { resolvePolicy } from '#shared/policy/effective.js';
import { policyDiff } from '#shared/policy/diff.js';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Db } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';
import { parsePolicy } from '#shared/policy/load.js';
import { audit } from '../audit/log.js';
import type { AgentPolicy } from '#shared/protocol/messages.js';

const CHANNEL = 'posture_policy';

export interface PolicyVersion {
  id: number;
  policy: Policy;
  source: string;
  created_at: Date;
  created_by: string;
  comment: string | null;
}

function redact(p: Policy | null): Policy | null {
  if (!p?.alerts?.webhookUrl) return p;
  return { ...p, alerts: { ...p.alerts, webhookUrl: '[redacted]' } };
}

export class PolicyStore {
  private current: PolicyVersion | null = null;
  private watcher: FSWatcher | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private listeners = new Set<(p: Policy) => void>();
  lastFileError: string[] | null = null;
  private updatesHeld = false;

  constructor(private readonly db: Db, private readonly file?: string, private readonly log?: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }) {}

  get policy(): Policy {
    return this.current?.policy ?? DEFAULT_POLICY;
  }
  /**
   * The policy file that owns the policy (POSTURE_POLICY_FILE), or undefined when the dashboard
   * and API own it. With a file, edits through the API are refused: the next reload of the file
   * would silently undo them (policy as code: the file, under version control, is the source).
   */
  get managedByFile(): string | undefined {
    return this.file;
  }

  get versionId(): number | null {
    return this.current?.id ?? null;
  }

  /**
   * The help desk's rollout pause (server/src/updates/hold.ts), laid over the policy's
   * `updates` section without a policy edit: while held, every agent is sent
   * `updates.paused = true`. A change tells the listeners, so connected agents are sent the
   * new agent policy at once.
   */
  setUpdatesHeld(held: boolean): void {
    if (held === this.updatesHeld) return;
    this.updatesHeld = held;
    for (const fn of this.listeners) fn(this.policy);
  }

  get updatesHeldNow(): boolean {
    return this.updatesHeld;
  }

  onChange(fn: (p: Policy) => void): void {
    this.listeners.add(fn);
  }

  /**
   * What agents are sent: intervals, thresholds, rollout, custom checks. With the device's
   * platform and groups, their overrides apply (a group's intervalSec, maxIdleSeconds, ...).
   */
  agentPolicy(platform?: string, groups?: readonly string[]): AgentPolicy {
    const p = platform ? resolvePolicy(this.policy, platform, groups) : this.policy;
    return {
      intervalSec: p.intervalSec,
      thresholds: {
        maxDefinitionAgeDays: p.checks.antivirus.maxDefinitionAgeDays ?? 7,
        maxIdleSeconds: p.checks.screen_lock.maxIdleSeconds ?? 900,
      },
      ...(this.updatesHeld ? { updates: { ...(p.updates ?? {}), paused: true } } : p.updates ? { updates: p.updates } : {}),
      // Custom checks travel to the agent as data; it re-validates them before running any.
      ...(p.customChecks?.length ? { customChecks: p.customChecks } : {}),
    };
  }

  async start(): Promise<void> {
    await this.loadLatest();
    if (this.file) {
      const loaded = await this.reloadFile('file:start');
      // A first start with an unusable file still needs a recorded version: reports are judged
      // against it and evidence must name the policy in force.
      if (!loaded.ok && !this.current) await this.record(DEFAULT_POLICY, 'default', 'system', `built-in default policy (${this.file} could not be loaded)`);
      try {
        let timer: NodeJS.Timeout | null = null;
        // Watch the directory, not the file: editors and config management replace the file
        // (rename over it, delete and recreate, a ConfigMap's ..data symlink swap), and a watch
        // on the old inode would go deaf after the first replacement.
        const base = basename(this.file);
        this.watcher = watch(dirname(this.file), (_ev, name) => {
          if (name && name !== base && !String(name).startsWith('..')) return;
          // Editors write in several steps; settle before reading.
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => void this.reloadFile('file:watch').catch(() => {}), 200);
        });
      } catch {
        /* the file may live on a filesystem without watch support; SIGHUP still works */
      }
    } else if (!this.current) {
      await this.record(DEFAULT_POLICY, 'default', 'system', 'built-in default policy');
    }
    this.unlisten = await this.db.listen(CHANNEL, () => void this.loadLatest().catch(() => {}));
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    await this.unlisten?.();
  }

  private async loadLatest(): Promise<void> {
    const r = await this.db.query<PolicyVersion>('SELECT id::int AS id, policy, source, created_at, created_by, comment FROM policy_versions ORDER BY id DESC LIMIT 1');
    if (r.rows[0]) {
      const changed = this.current?.id !== r.rows[0].id;
      this.current = r.rows[0];
      if (changed) for (const fn of this.listeners) fn(this.current.policy);
    }
  }

  /** Re-read the policy file; an invalid file keeps the policy in force and reports why. */
  async reloadFile(trigger: string): Promise<{ ok: boolean; errors?: string[] }> {
    if (!this.file) return { ok: false, errors: ['no policy file configured (POSTURE_POLICY_FILE)'] };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      this.lastFileError = [`${this.file}: ${(e as Error).message}`];
      this.log?.warn({ errors: this.lastFileError }, 'policy file unreadable; keeping the policy in force');
      return { ok: false, errors: this.lastFileError };
    }
    const parsed = parsePolicy(text, this.file);
    if (!parsed.ok) {
      this.lastFileError = parsed.errors;
      this.log?.warn({ errors: parsed.errors }, 'policy file invalid; keeping the policy in force');
      return { ok: false, errors: parsed.errors };
    }
    this.lastFileError = null;
    await this.record(parsed.policy, trigger, 'policy-file', `loaded from ${this.file}`);
    return { ok: true };
  }

  /** Record a policy if it differs from the one in force; audit-logged with before/after. */
  async record(policy: Policy, source: string, actor: string, comment?: string): Promise<PolicyVersion> {
    if (this.current && JSON.stringify(this.current.policy) === JSON.stringify(policy)) return this.current;
    const before = this.current?.policy ?? null;
    const row = await this.db.tx(async (q) => {
      const r = await q.query<PolicyVersion>(
        'INSERT INTO policy_versions (policy, source, created_by, comment) VALUES ($1,$2,$3,$4) RETURNING id::int AS id, policy, source, created_at, created_by, comment',
        [JSON.stringify(policy), source, actor, comment ?? null],
      );
      // Auditors read the audit log; a webhook URL is a credential, so it is redacted there.
      // The first version has nothing to differ from: its detail is the policy itself.
      const diff = before ? policyDiff(redact(before), redact(policy)) : null;
      await audit(q, { actor, action: 'policy.update', target: `policy:${r.rows[0].id}`, detail: { source, ...(diff ? { changes: diff.changes, ...(diff.truncated ? { changesTruncated: diff.truncated } : {}) } : {}), before: redact(before), after: redact(policy) } });
      return r.rows[0];
    });
    this.current = row;
    this.log?.info({ version: row.id, source }, 'policy version recorded');
    for (const fn of this.listeners) fn(policy);
    await this.db.notify(CHANNEL, String(row.id)).catch(() => {});
    return row;
  }

  async history(limit = 100): Promise<PolicyVersion[]> {
    const r = await this.db.query<PolicyVersion>(
      'SELECT id::int AS id, policy, source, created_at, created_by, comment FROM policy_versions ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return r.rows;
  }
}
