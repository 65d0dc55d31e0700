/** When the agent notifies: once per state change, reminders before the deadline, never spam. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CADENCE, emptyNotified, inQuietHours, plan, type CheckSituation, type NotifiedState } from '../../agent/src/notify/cadence.js';
import { composeNotice, relative } from '../../agent/src/notify/text.js';
import { graphicalScore, parseListSessions, parseProperties, userNameFor } from '../../agent/src/notify/session.js';

const H = 3_600_000;
const t0 = new Date('2026-11-23T09:00:00Z');
const at = (h: number) => new Date(t0.getTime() + h * H);
const fw = (state: CheckSituation['state'], deadline: Date | null = at(48)): CheckSituation => ({
  id: 'firewall',
  title: 'Firewall',
  state,
  deadline: deadline?.toISOString() ?? null,
  summary: 'Inbound traffic is not filtered',
  firstStep: 'Ubuntu/Debian with ufw: `sudo ufw enable`.',
  helpUrl: null,
});

/** Run a sequence of cycles; return which cycles (by hour) sent what. */
function simulate(hours: number[], sit: (h: number) => CheckSituation[], opts = DEFAULT_CADENCE): { h: number; reasons: string[] }[] {
  let s: NotifiedState = emptyNotified();
  const out: { h: number; reasons: string[] }[] = [];
  for (const h of hours) {
    const r = plan(s, sit(h), at(h), opts);
    s = r.next;
    if (r.send.length) out.push({ h, reasons: r.send.map((p) => `${p.check.id}:${p.reason}${p.hoursBefore ? `@${p.hoursBefore}h` : ''}`) });
  }
  return out;
}

describe('cadence', () => {
  it('hourly cycles over a 48 h grace: fail, 24 h and 1 h reminders, overdue, then daily — nothing else', () => {
    const hours = Array.from({ length: 100 }, (_, i) => i);
    const sent = simulate(hours, (h) => [fw(h < 48 ? 'failing' : 'noncompliant')]);
    expect(sent).toEqual([
      { h: 0, reasons: ['firewall:failing'] },
      { h: 24, reasons: ['firewall:reminder@24h'] },
      { h: 47, reasons: ['firewall:reminder@1h'] },
      { h: 48, reasons: ['firewall:overdue'] },
      { h: 72, reasons: ['firewall:overdue-reminder'] },
      { h: 96, reasons: ['firewall:overdue-reminder'] },
    ]);
  });

  it('a grace shorter than 24 h does not send a 24 h reminder right after the first notice', () => {
    const sent = simulate([0, 1, 2, 3, 4, 5], () => [fw('failing', at(5.5))]);
    expect(sent).toEqual([{ h: 0, reasons: ['firewall:failing'] }, { h: 5, reasons: ['firewall:reminder@1h'] }]);
  });

  it('fixed then failing again is news again; unknown in between changes nothing', () => {
    const seq: Record<number, CheckSituation['state']> = { 0: 'failing', 1: 'unknown', 2: 'failing', 3: 'ok', 4: 'failing' };
    const sent = simulate([0, 1, 2, 3, 4], (h) => [fw(seq[h])]);
    expect(sent).toEqual([{ h: 0, reasons: ['firewall:failing'] }, { h: 4, reasons: ['firewall:failing'] }]);
  });

  it('quiet hours defer notices until they end', () => {
    const opts = { ...DEFAULT_CADENCE, quietHours: { start: 22, end: 7 } };
    expect(inQuietHours(new Date(2026, 10, 23, 23), opts.quietHours)).toBe(true);
    expect(inQuietHours(new Date(2026, 10, 23, 6, 59), opts.quietHours)).toBe(true);
    expect(inQuietHours(new Date(2026, 10, 23, 7), opts.quietHours)).toBe(false);
    const night = new Date(2026, 10, 23, 23);
    const r1 = plan(emptyNotified(), [fw('failing')], night, opts);
    expect(r1.send).toEqual([]);
    const r2 = plan(r1.next, [fw('failing')], new Date(2026, 10, 24, 7, 30), opts);
    expect(r2.send.map((p) => p.reason)).toEqual(['failing']);
  });

  it('reminders respect the minimum gap; new failures do not wait', () => {
    const other = (s: CheckSituation['state']): CheckSituation => ({ ...fw(s), id: 'usb_storage', title: 'USB storage control' });
    const d = at(24.15); // the 24 h reminder falls due at 0.15 h
    let s = plan(emptyNotified(), [fw('failing', d), other('ok')], at(0)).next;
    const r = plan(s, [fw('failing', d), other('failing')], at(0.1));
    expect(r.send.map((p) => `${p.check.id}:${p.reason}`)).toEqual(['usb_storage:failing']);
    s = r.next;
    // Six minutes after the last notice the firewall's 24 h reminder is due, but within the 30-minute gap: deferred.
    const r2 = plan(s, [fw('failing', d), other('failing')], at(0.2));
    expect(r2.send).toEqual([]);
    const r3 = plan(r2.next, [fw('failing', d), other('failing')], at(0.7));
    expect(r3.send.map((p) => `${p.check.id}:${p.reason}@${p.hoursBefore}`)).toEqual(['firewall:reminder@24']);
  });
});

describe('notification text', () => {
  it('names the check, the deadline and the first fix step, with the link', () => {
    const n = composeNotice([{ reason: 'failing', check: fw('failing', at(23)) }], { now: t0, link: 'https://c.example/my-device?t=x', timeZone: 'UTC' });
    expect(n).toEqual({
      title: 'Posture: Firewall needs fixing',
      body: 'Inbound traffic is not filtered.\nFix by Tue 24 Nov, 08:00 UTC (in 23 h).\nFirst step: Ubuntu/Debian with ufw: sudo ufw enable.\nDetails and re-check: https://c.example/my-device?t=x',
      url: 'https://c.example/my-device?t=x',
      urgency: 'normal',
    });
  });

  it("adds the company's help page when the policy sets one", () => {
    const n = composeNotice([{ reason: 'overdue', check: { ...fw('noncompliant', at(-30)), helpUrl: 'https://intranet.example/fw' } }], { now: t0, link: null, timeZone: 'UTC' });
    expect(n.title).toBe('Posture: Firewall is overdue');
    expect(n.body).toBe('Inbound traffic is not filtered.\nThe deadline passed 30 h ago.\nFirst step: Ubuntu/Debian with ufw: sudo ufw enable.\nCompany help: https://intranet.example/fw\nDetails and re-check: run posture-agent open (no sudo needed).');
    expect(n.urgency).toBe('critical');
  });

  it('several checks → one notification, most urgent first; overdue is critical', () => {
    const usb: CheckSituation = { ...fw('noncompliant', at(-2)), id: 'usb_storage', title: 'USB storage control', firstStep: 'Block the driver.' };
    const n = composeNotice([{ reason: 'failing', check: fw('failing', at(5)) }, { reason: 'overdue', check: usb }], { now: t0, link: null, timeZone: 'UTC' });
    expect(n.title).toBe('Posture: 2 security settings need fixing');
    expect(n.body.split('\n')).toEqual([
      '• USB storage control: The deadline passed 2 h ago.',
      '• Firewall: Fix by Mon 23 Nov, 14:00 UTC (in 5 h).',
      'USB storage control — first step: Block the driver.',
      'Details and re-check: run posture-agent open (no sudo needed).',
    ]);
    expect(n.urgency).toBe('critical');
  });

  it('relative times', () => {
    expect(relative(at(0.5), t0)).toBe('in 30 min');
    expect(relative(at(72), t0)).toBe('in 3 days');
    expect(relative(at(-3), t0)).toBe('3 h ago');
  });
});

describe('finding the desktop session (logind output)', () => {
  it('parses list-sessions of old and new systemd', () => {
    expect(parseListSessions('     2 1000 alice seat0 tty2\n    c1  120 gdm   seat0 tty1\n')).toEqual([
      { id: '2', uid: 1000, user: 'alice' },
      { id: 'c1', uid: 120, user: 'gdm' },
    ]);
    expect(parseListSessions('3 1001 bob seat0 tty2 active no -\n')).toEqual([{ id: '3', uid: 1001, user: 'bob' }]);
  });
  it('prefers the active local graphical user session', () => {
    const p = (s: string) => graphicalScore(parseProperties(s));
    expect(p('Type=wayland\nActive=yes\nRemote=no\nState=active\nClass=user')).toBe(3);
    expect(p('Type=x11\nActive=no\nRemote=no\nState=online\nClass=user')).toBe(1);
    expect(p('Type=tty\nActive=yes\nRemote=no\nState=active\nClass=user')).toBe(0);
    expect(p('Type=x11\nActive=yes\nRemote=yes\nState=active\nClass=user')).toBe(0);
    expect(p('Type=wayland\nActive=yes\nRemote=no\nState=active\nClass=greeter')).toBe(0);
  });
  it('maps a uid to its user name', () => {
    expect(userNameFor('root:x:0:0::/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n', 1000)).toBe('alice');
    expect(userNameFor('root:x:0:0::/root:/bin/bash\n', 1000)).toBeNull();
  });
});

describe('what the notifier believes: collector verdict vs this cycle', async () => {
  const { situations } = await import('../../agent/src/notify/notifier.js');
  const cycleAt = new Date('2026-11-23T09:00:00Z');
  const local = (status: 'pass' | 'fail' | 'unknown') => [{ id: 'usb_storage' as const, status, summary: 'USB mass storage is allowed', evidence: {}, remediation: { steps: ['Local step'] } }];
  const col = (state: string, collectedAt: string, deadline: string | null = '2026-11-25T09:00:00.000Z') => ({
    device: { id: 'd', state, nextDeadline: deadline, lastReportAt: collectedAt },
    serverTime: '',
    checks: [{ id: 'usb_storage', title: 'USB storage control', state, summary: '', deadline, collectedAt, remediation: { steps: ['Company step'], url: 'https://help.example/usb' } }],
  });

  it('a verdict that already includes this cycle is authoritative (policy may not require the check)', () => {
    expect(situations(local('fail'), col('not_required', cycleAt.toISOString(), null), cycleAt, cycleAt)[0].state).toBe('ok');
    expect(situations(local('fail'), col('pass', cycleAt.toISOString(), null), cycleAt, cycleAt)[0].state).toBe('ok');
  });

  it('an older verdict gives the deadline and the company steps; this cycle gives the state', () => {
    const s = situations(local('fail'), col('pass', '2026-11-23T08:00:00Z', null), cycleAt, cycleAt)[0];
    expect(s).toMatchObject({ state: 'failing', deadline: null, firstStep: 'Company step', helpUrl: 'https://help.example/usb' });
    const s2 = situations(local('fail'), col('failing', '2026-11-23T08:00:00Z'), cycleAt, cycleAt)[0];
    expect(s2).toMatchObject({ state: 'failing', deadline: '2026-11-25T09:00:00.000Z' });
    expect(situations(local('pass'), col('failing', '2026-11-23T08:00:00Z'), cycleAt, cycleAt)[0].state).toBe('ok');
    // Past the deadline the local failure is overdue.
    expect(situations(local('fail'), col('failing', '2026-11-23T08:00:00Z'), cycleAt, new Date('2026-11-26T00:00:00Z'))[0].state).toBe('noncompliant');
  });

  it('offline: local results only, first step from the check spec', () => {
    expect(situations(local('fail'), null, cycleAt, cycleAt)[0]).toMatchObject({ state: 'failing', deadline: null, firstStep: 'Local step', helpUrl: null });
    expect(situations(local('unknown'), null, cycleAt, cycleAt)[0].state).toBe('unknown');
  });
});
