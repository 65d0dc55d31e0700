/**
 * When to notify, as a pure function of (what was notified, what is true now, now).
 * One notification when a check starts failing, one when it becomes overdue, reminders as
 * its deadline nears (24 h and 1 h before by default, never one already overtaken), then at
 * most one a day while overdue. Reminders keep a minimum gap; quiet hours defer everything.
 * The state is persisted (notified.json) so a restart does not repeat anything.
 */
import type { CheckId } from '#shared/checks/ids.js';

export type Situation = 'ok' | 'failing' | 'noncompliant' | 'unknown';

export interface CheckSituation {
  id: CheckId;
  title: string;
  state: Situation;
  deadline: string | null;
  summary: string;
  firstStep: string | null;
  helpUrl: string | null;
}

export interface NotifiedEntry {
  state: 'failing' | 'noncompliant';
  since: string;
  lastAt: string;
  /** Reminder thresholds (hours before the deadline) already used up. */
  reminders: number[];
}

export interface NotifiedState {
  v: 1;
  checks: Partial<Record<CheckId, NotifiedEntry>>;
  lastSentAt: string | null;
}

export type Reason = 'failing' | 'overdue' | 'reminder' | 'overdue-reminder';

export interface Planned {
  reason: Reason;
  check: CheckSituation;
  /** For reminders: the threshold in hours. */
  hoursBefore?: number;
}

export interface CadenceOptions {
  remindersHoursBefore: number[];
  overdueEveryHours: number;
  minGapMinutes: number;
  /** Local hours [start, end): e.g. {start: 22, end: 7}. */
  quietHours: { start: number; end: number } | null;
}

export const DEFAULT_CADENCE: CadenceOptions = { remindersHoursBefore: [24, 1], overdueEveryHours: 24, minGapMinutes: 30, quietHours: null };

export const emptyNotified = (): NotifiedState => ({ v: 1, checks: {}, lastSentAt: null });

export function inQuietHours(now: Date, q: CadenceOptions['quietHours']): boolean {
  if (!q || q.start === q.end) return false;
  const h = now.getHours();
  return q.start < q.end ? h >= q.start && h < q.end : h >= q.start || h < q.end;
}

export function plan(prev: NotifiedState, checks: CheckSituation[], now: Date, opts: CadenceOptions = DEFAULT_CADENCE): { send: Planned[]; next: NotifiedState } {
  const t = now.getTime();
  const at = now.toISOString();
  const next: NotifiedState = { v: 1, checks: { ...prev.checks }, lastSentAt: prev.lastSentAt };
  const send: Planned[] = [];
  const quiet = inQuietHours(now, opts.quietHours);
  const gapOk = !prev.lastSentAt || t - Date.parse(prev.lastSentAt) >= opts.minGapMinutes * 60_000;
  const thresholds = [...opts.remindersHoursBefore].sort((a, b) => b - a);
  // Thresholds the deadline is already within: a reminder for them would say nothing new.
  const overtaken = (deadline: string | null) => (deadline ? thresholds.filter((h) => Date.parse(deadline) - t <= h * 3_600_000) : []);

  for (const c of checks) {
    const e = prev.checks[c.id];
    if (c.state === 'ok') {
      delete next.checks[c.id]; // fixed: a later failure is news again
      continue;
    }
    if (c.state === 'unknown' || quiet) continue; // keep what we had; decide when we know / after quiet hours
    if (c.state === 'failing') {
      if (!e || e.state !== 'failing') {
        send.push({ reason: 'failing', check: c });
        next.checks[c.id] = { state: 'failing', since: at, lastAt: at, reminders: overtaken(c.deadline) };
        continue;
      }
      const due = overtaken(c.deadline).filter((h) => !e.reminders.includes(h));
      if (due.length && gapOk) {
        send.push({ reason: 'reminder', check: c, hoursBefore: Math.min(...due) });
        next.checks[c.id] = { ...e, lastAt: at, reminders: [...new Set([...e.reminders, ...due])] };
      }
      continue;
    }
    // noncompliant
    if (!e || e.state !== 'noncompliant') {
      send.push({ reason: 'overdue', check: c });
      next.checks[c.id] = { state: 'noncompliant', since: at, lastAt: at, reminders: thresholds };
    } else if (t - Date.parse(e.lastAt) >= opts.overdueEveryHours * 3_600_000 && gapOk) {
      send.push({ reason: 'overdue-reminder', check: c });
      next.checks[c.id] = { ...e, lastAt: at };
    }
  }
  if (send.length) next.lastSentAt = at;
  return { send, next };
}
