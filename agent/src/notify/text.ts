/**
 * Notification wording: kind, specific, short. Names the check, the deadline and the first
 * fix step, and ends with the way to the My-device page (`posture-agent open`). Several checks at once → one notification.
 */
import type { Notice } from './commands.js';
import type { Planned } from './cadence.js';

/** "in 23 h" / "in 40 min" / "2 h ago". */
export function relative(deadline: Date, now: Date): string {
  const ms = deadline.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const span = abs >= 48 * 3_600_000 ? `${Math.round(abs / 86_400_000)} days` : abs >= 3_600_000 ? `${Math.round(abs / 3_600_000)} h` : `${Math.max(1, Math.round(abs / 60_000))} min`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

export function formatDeadline(deadline: Date, timeZone?: string): string {
  return deadline.toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' });
}

/** Steps mark commands with backticks for the page; a notification shows plain text. */
const plain = (s: string) => s.replace(/`/g, '');

function when(p: Planned, now: Date, tz?: string): string {
  const d = p.check.deadline ? new Date(p.check.deadline) : null;
  if (p.check.state === 'noncompliant') return d ? `The deadline passed ${relative(d, now).replace(' ago', '')} ago.` : 'The deadline has passed.';
  return d ? `Fix by ${formatDeadline(d, tz)} (${relative(d, now)}).` : 'Please fix this soon.';
}

/** The notification's way to the device page: a fresh link on demand from the running agent. */
export const ON_DEMAND = 'Details and re-check: run posture-agent open (no sudo needed).';

export function composeNotice(items: Planned[], opts: { now: Date; link: string | null; timeZone?: string }): Notice {
  const critical = items.some((i) => i.check.state === 'noncompliant' || (i.hoursBefore !== undefined && i.hoursBefore <= 1));
  // The most urgent first: overdue, then the nearest deadline.
  const sorted = [...items].sort((a, b) => (a.check.state === 'noncompliant' ? 0 : 1) - (b.check.state === 'noncompliant' ? 0 : 1) || (a.check.deadline ?? '9').localeCompare(b.check.deadline ?? '9'));
  const first = sorted[0].check;
  // Without a link (the default, notifier.ts), the employee mints one when they want it:
  // a link in a notification expired 10 minutes after it was shown.
  const more = opts.link ? `Details and re-check: ${opts.link}` : ON_DEMAND;
  const step = first.firstStep ? `First step: ${plain(first.firstStep)}` : '';
  if (sorted.length === 1) {
    const p = sorted[0];
    const title =
      p.check.state === 'noncompliant' ? `Posture: ${first.title} is overdue` : p.reason === 'reminder' ? `Posture: reminder — ${first.title} needs fixing` : `Posture: ${first.title} needs fixing`;
    const help = first.helpUrl ? `Company help: ${first.helpUrl}` : '';
    return { title, body: [`${first.summary}.`.replace(/\.\.$/, '.'), when(p, opts.now, opts.timeZone), step, help, more].filter(Boolean).join('\n'), url: opts.link, urgency: critical ? 'critical' : 'normal' };
  }
  const lines = sorted.map((p) => `• ${p.check.title}: ${when(p, opts.now, opts.timeZone)}`);
  return {
    title: `Posture: ${sorted.length} security settings need fixing`,
    body: [...lines, step ? `${first.title} — ${step.charAt(0).toLowerCase()}${step.slice(1)}` : '', more].filter(Boolean).join('\n'),
    url: opts.link,
    urgency: critical ? 'critical' : 'normal',
  };
}
