import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { gnomeLock, parseDconfKeyfile, parseGvariant, parseKscreenlockerrc, passwdEntry } from './parse-linux.js';
import { spec } from './spec.js';

const fx = (n: string) => fixture('screen-lock', n);

describe('parsers', () => {
  it('gsettings values', () => {
    expect(parseGvariant(fx('gsettings-get-idle-delay.ubuntu22.txt'))).toBe(300);
    expect(parseGvariant(fx('gsettings-get-lock-enabled.ubuntu22.txt'))).toBe(true);
    expect(parseGvariant('')).toBeNull();
  });
  it('GNOME semantics', () => {
    expect(gnomeLock(300, true, 0)).toEqual({ lockEnabled: true, idleTimeoutSeconds: 300 });
    expect(gnomeLock(0, true, 0).lockEnabled).toBe(false); // idle-delay 0 = never blank, never lock
    expect(gnomeLock(300, false, 0).lockEnabled).toBe(false);
  });
  it('dconf keyfile', () => {
    expect(parseDconfKeyfile(fx('dconf-local.d-00-screensaver.rhel9.txt'))['org/gnome/desktop/session']).toEqual({ 'idle-delay': 'uint32 900' });
  });
  it('kscreenlockerrc with custom values, autolock off, and defaults', () => {
    expect(parseKscreenlockerrc(fx('kscreenlockerrc.kde5.custom.txt'))).toMatchObject({ lockEnabled: true, idleTimeoutSeconds: 630 });
    expect(parseKscreenlockerrc(fx('kscreenlockerrc.kde6.autolock-off.txt'))).toMatchObject({ lockEnabled: false, lockOnResume: false });
    expect(parseKscreenlockerrc('')).toMatchObject({ lockEnabled: true, idleTimeoutSeconds: 305 });
  });
  it('passwd', () => expect(passwdEntry('root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n', 1000)).toEqual({ name: 'alice', home: '/home/alice' }));
});

describe('linux collector + spec', () => {
  const session = (comm: string, extra: Record<string, string> = {}) => ({
    '/proc/2100/comm': `${comm}\n`,
    '/proc/2100/status': 'Name:\tx\nUid:\t1000\t1000\t1000\t1000\n',
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n',
    ...extra,
  });
  const gsettings = (idle: string) => (args: string[]) =>
    ok(args[2] === 'idle-delay' ? fx(idle) : args[2] === 'lock-enabled' ? fx('gsettings-get-lock-enabled.ubuntu22.txt') : fx('gsettings-get-lock-delay.ubuntu22.txt'));
  it('unknown on a headless machine, with reason "no desktop session"', async () => {
    const obs = await collectLinux(fakeContext({ files: { '/proc/1/comm': 'systemd\n', '/proc/300/comm': 'sshd\n' } }));
    expect(obs).toMatchObject({ reason: 'no desktop session', facts: { session: 'headless', lockEnabled: null } });
    expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
  });
  it('GNOME pass (300 s) and fail (idle-delay 0)', async () => {
    const good = await collectLinux(fakeContext({ files: session('gnome-shell'), commands: { gsettings: gsettings('gsettings-get-idle-delay.ubuntu22.txt') } }));
    expect(spec.evaluate(good, spec.defaults)).toMatchObject({ status: 'pass', summary: 'The screen locks after 300s idle' });
    const never = await collectLinux(fakeContext({ files: session('gnome-shell'), commands: { gsettings: gsettings('gsettings-get-idle-delay.ubuntu22.never.txt') } }));
    expect(spec.evaluate(never, spec.defaults).status).toBe('fail');
  });
  it('GNOME: gsettings missing falls back to system dconf keyfiles; none → unknown', async () => {
    const files = session('gnome-shell', { '/etc/dconf/db/local.d/00-screensaver': fx('dconf-local.d-00-screensaver.rhel9.txt') });
    const obs = await collectLinux(fakeContext({ files }));
    expect(obs.facts).toMatchObject({ lockEnabled: true, idleTimeoutSeconds: 905 });
    const none = await collectLinux(fakeContext({ files: session('gnome-shell'), commands: { gsettings: fail('timeout', '', null) } }));
    expect(spec.evaluate(none, spec.defaults).status).toBe('unknown');
    expect(none.reason).toMatch(/timed out/);
  });
  it('XFCE (xfce4-screensaver): 10 min + 1 min lock delay passes; lock disabled fails; no screensaver daemon is unknown', async () => {
    const xfce = (xml: string) => session('xfce4-session', { '/proc/2300/comm': 'xfce4-screensav\n', '/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml': xml });
    const good = await collectLinux(fakeContext({ files: xfce(fx('xfce4-screensaver.xml.debian12.10min.xml')) }));
    expect(good.facts).toMatchObject({ session: 'xfce', lockEnabled: true, idleTimeoutSeconds: 660 });
    expect(spec.evaluate(good, spec.defaults).status).toBe('pass');
    const off = await collectLinux(fakeContext({ files: xfce(fx('xfce4-screensaver.xml.xubuntu24.lock-off.xml')) }));
    expect(spec.evaluate(off, spec.defaults).status).toBe('fail');
    const noDaemon = await collectLinux(fakeContext({ files: session('xfce4-session') }));
    expect(spec.evaluate(noDaemon, spec.defaults).status).toBe('unknown');
  });
  it('Cinnamon and MATE through their gsettings schemas (MATE in minutes)', async () => {
    const cin = (args: string[]) => ok(args[2] === 'idle-delay' ? 'uint32 600\n' : args[2] === 'lock-enabled' ? 'true\n' : 'uint32 0\n');
    const c = await collectLinux(fakeContext({ files: session('cinnamon'), commands: { gsettings: cin } }));
    expect(c.facts).toMatchObject({ session: 'cinnamon', lockEnabled: true, idleTimeoutSeconds: 600 });
    const mate = (lock: string) => (args: string[]) => ok(args[2] === 'idle-delay' ? '10\n' : args[2] === 'lock-enabled' ? `${lock}\n` : args[2] === 'idle-activation-enabled' ? 'true\n' : '2\n');
    const m = await collectLinux(fakeContext({ files: session('mate-session'), commands: { gsettings: mate('true') } }));
    expect(m.facts).toMatchObject({ session: 'mate', lockEnabled: true, idleTimeoutSeconds: 720 });
    const mOff = await collectLinux(fakeContext({ files: session('mate-session'), commands: { gsettings: mate('false') } }));
    expect(spec.evaluate(mOff, spec.defaults).status).toBe('fail');
    const mMissing = await collectLinux(fakeContext({ files: session('mate-session') }));
    expect(spec.evaluate(mMissing, spec.defaults).status).toBe('unknown');
  });
  it('KDE: over the threshold fails, autolock off fails', async () => {
    const slow = await collectLinux(fakeContext({ files: session('plasmashell', { '/home/alice/.config/kscreenlockerrc': '[Daemon]\nTimeout=30\n' }) }));
    expect(spec.evaluate(slow, spec.defaults)).toMatchObject({ status: 'fail', summary: expect.stringContaining('1805s') });
    const off = await collectLinux(fakeContext({ files: session('plasmashell', { '/home/alice/.config/kscreenlockerrc': fx('kscreenlockerrc.kde6.autolock-off.txt') }) }));
    expect(spec.evaluate(off, spec.defaults).status).toBe('fail');
  });
});
