/**
 * The real notify-send, run through the agent's command runner as root via runuser, over a
 * private D-Bus session bus: with no notification daemon the failure is quiet and reported
 * (and dbus-monitor shows the call to the notification service went out); with a notification service on the bus
 * it arrives with the exact, escaped text, and the Notifier does not repeat itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../../agent/src/exec/runner.js';
import { dispatchNotice } from '../../agent/src/notify/dispatch.js';
import { Notifier, loadNotified } from '../../agent/src/notify/notifier.js';
import type { Notice } from '../../agent/src/notify/commands.js';
import type { AgentConfig } from '../../agent/src/state/config.js';
import type { CheckResult } from '../../shared/src/checks/result.js';
import { waitFor } from '../helpers/agent.js';
import { tempDir } from '../helpers/db.js';

const HAVE = existsSync('/usr/bin/notify-send') && existsSync('/usr/bin/dbus-daemon') && process.getuid?.() === 0;
const here = import.meta.dirname;

function lines(child: ChildProcess): () => string {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return () => out;
}

describe.skipIf(!HAVE)('notify-send over a real D-Bus session bus', () => {
  const dir = tempDir('posture-dbus-');
  const bus = `unix:path=${join(dir, 'bus')}`;
  const procs: ChildProcess[] = [];
  const runner = createRunner();
  const asRootTo = { platform: 'linux', run: runner.run, resolve: runner.resolve, asRoot: true, linuxUser: { user: 'root', uid: 0, busAddress: bus } };
  const notice: Notice = { title: 'Posture: Firewall needs fixing', body: 'Inbound <traffic> & more is not filtered.\nFirst step: sudo ufw enable', url: null, urgency: 'normal' };

  beforeAll(async () => {
    const daemon = spawn('/usr/bin/dbus-daemon', ['--session', '--nofork', `--address=${bus}`, '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(daemon);
    const out = lines(daemon);
    await waitFor(async () => out().includes('unix:path='), 10_000);
  });
  afterEach(() => {
    for (const p of procs.splice(1)) p.kill('SIGTERM');
  });
  afterAll(() => {
    for (const p of procs) p.kill('SIGTERM');
  });

  it('no notification daemon: the call is made, fails, and is reported without throwing', async () => {
    const mon = spawn('/usr/bin/dbus-monitor', ['--address', bus, "interface='org.freedesktop.Notifications'"], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(mon);
    const seen = lines(mon);
    // The monitor prints nothing until a matching message; give it time to register its match rule.
    await new Promise((r) => setTimeout(r, 800));
    const r = await dispatchNotice(notice, asRootTo);
    expect(r.shown).toBe(false);
    expect(r.why).toBe('failed');
    expect(r.command).toMatch(/^\/usr\/sbin\/runuser -u root -- \/usr\/bin\/notify-send --app-name=Posture --urgency=normal/);
    expect(r.detail).toContain('org.freedesktop.Notifications');
    // libnotify asks the daemon for its capabilities first; with nobody there it stops at that call.
    await waitFor(async () => seen().includes('destination=org.freedesktop.Notifications'), 10_000);
    expect(seen()).toMatch(/method call .* destination=org\.freedesktop\.Notifications .*member=GetServerInformation/);
  });

  it('with a notification service: shown, exact text; the Notifier notifies once per state change', async () => {
    const srv = spawn('/usr/bin/python3', [join(here, 'notification-server.py'), bus], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(srv);
    const got = lines(srv);
    await waitFor(async () => got().includes('READY'), 10_000);
    const calls = () => got().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

    const r = await dispatchNotice({ ...notice, urgency: 'critical' }, asRootTo);
    expect(r).toMatchObject({ shown: true });
    await waitFor(async () => calls().length === 1, 5000);
    expect(calls()[0]).toMatchObject({ app: 'Posture', icon: 'dialog-warning', summary: notice.title, body: 'Inbound &lt;traffic&gt; &amp; more is not filtered.\nFirst step: sudo ufw enable', hints: { urgency: 2 } });

    // The whole path: local results + collector deadline → plan → text → notify-send.
    const stateDir = tempDir('posture-notify-state-');
    const logs: string[] = [];
    const deadline = new Date(Date.now() + 30 * 3_600_000).toISOString();
    const n = new Notifier({
      stateDir,
      log: (_l, m) => logs.push(m),
      dispatch: { ...asRootTo },
      fetchState: async () => ({ device: { id: 'd', state: 'failing', nextDeadline: deadline, lastReportAt: null }, serverTime: '', checks: [{ id: 'firewall', title: 'Firewall', state: 'failing', summary: '', deadline, collectedAt: new Date().toISOString(), remediation: { steps: ['Company step: open Self Service → Firewall.'], url: null } }] }),
      link: async () => 'https://collector.example/my-device?t=a.b.c',
    });
    const cfg = {} as AgentConfig;
    const results: CheckResult[] = [
      { id: 'firewall', status: 'fail', summary: 'Inbound traffic is not filtered', evidence: {}, remediation: { steps: ['`sudo ufw enable`'] } },
      { id: 'usb_storage', status: 'pass', summary: 'USB mass storage is blocked', evidence: {}, remediation: { steps: [] } },
    ];
    const first = await n.evaluate(results, cfg, new Date(), new Date());
    expect(first.result?.shown).toBe(true);
    await waitFor(async () => calls().length === 2, 5000);
    const shown = calls()[1];
    expect(shown.summary).toBe('Posture: Firewall needs fixing');
    expect(shown.body).toContain('(in 30 h)');
    expect(shown.body).toContain('First step: Company step: open Self Service → Firewall.');
    expect(shown.body).toContain('https://collector.example/my-device?t=a.b.c');
    expect(loadNotified(stateDir).checks.firewall?.state).toBe('failing');
    expect(JSON.parse(readFileSync(join(stateDir, 'notified.json'), 'utf8')).v).toBe(1);
    expect(logs).toContain('notified: Posture: Firewall needs fixing');

    // Next cycles, same state: nothing new is shown.
    for (let i = 0; i < 3; i++) expect((await n.evaluate(results, cfg, new Date(), new Date())).notice).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(calls().length).toBe(2);
  });
});
