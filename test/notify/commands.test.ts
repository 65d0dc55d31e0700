/** The exact notification command line per platform, and that check text cannot inject anything. */
import { describe, expect, it } from 'vitest';
import {
  darwinNotifyCommand,
  linuxNotifyCommand,
  psQuote,
  windowsNotifyCommand,
  windowsToastScript,
  type Notice,
} from '../../agent/src/notify/commands.js';
import { openCommandFor } from '../../agent/src/cli/open.js';

const n: Notice = {
  title: 'Posture: Firewall needs fixing',
  body: 'Inbound traffic is not filtered.\nFirst step: sudo ufw enable\nDetails and re-check: https://posture.example/my-device?t=abc.def.ghi',
  url: 'https://posture.example/my-device?t=abc.def.ghi',
  urgency: 'normal',
};

describe('Linux: notify-send on the desktop user session bus', () => {
  it('as root: runuser -u USER -- notify-send with the user bus', () => {
    expect(linuxNotifyCommand(n, { user: 'alice', uid: 1000 }, { asRoot: true, notifySendPath: '/usr/bin/notify-send' })).toEqual({
      name: 'runuser',
      args: ['-u', 'alice', '--', '/usr/bin/notify-send', '--app-name=Posture', '--urgency=normal', '--icon=dialog-warning', '--', n.title, n.body],
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus', XDG_RUNTIME_DIR: '/run/user/1000' },
    });
  });

  it('as the user: notify-send directly, with the given bus address', () => {
    expect(linuxNotifyCommand({ ...n, urgency: 'critical' }, { user: 'alice', uid: 1000, busAddress: 'unix:path=/tmp/b' }, { asRoot: false })).toEqual({
      name: 'notify-send',
      args: ['--app-name=Posture', '--urgency=critical', '--icon=dialog-warning', '--', n.title, n.body],
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/b', XDG_RUNTIME_DIR: '/run/user/1000' },
    });
  });

  it('escapes markup and neutralises option-like and control text from probe summaries', () => {
    const evil: Notice = { title: '--hint=string:x:y\u0007', body: '<a href="http://evil">click</a> & <b>x</b>\u001b[31m', urgency: 'normal' };
    const c = linuxNotifyCommand(evil, { user: 'alice', uid: 1000 }, { asRoot: false });
    expect(c.args.slice(-2)).toEqual(['––hint=string:x:y', '&lt;a href="http://evil"&gt;click&lt;/a&gt; &amp; &lt;b&gt;x&lt;/b&gt; [31m']);
    expect(c.args[3]).toBe('--'); // end of options before any text
  });
});

describe('macOS: osascript in the console user session', () => {
  const script = ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run'];
  it('as root: launchctl asuser UID osascript, text as argv', () => {
    expect(darwinNotifyCommand(n, { uid: 501 }, { asRoot: true })).toEqual({ name: 'launchctl', args: ['asuser', '501', '/usr/bin/osascript', ...script, n.title, n.body] });
  });
  it('as the user: osascript directly', () => {
    expect(darwinNotifyCommand(n, null, { asRoot: false })).toEqual({ name: 'osascript', args: [...script, n.title, n.body] });
  });
  it('AppleScript in the text stays data (it is never part of the script)', () => {
    const c = darwinNotifyCommand({ ...n, title: 'x" & (do shell script "id") & "' }, null, { asRoot: false });
    expect(c.args.filter((a, i) => c.args[i - 1] === '-e')).toEqual(['on run argv', 'display notification (item 2 of argv) with title (item 1 of argv)', 'end run']);
    expect(c.args).toContain('x" & (do shell script "id") & "');
  });
});

describe('Windows: PowerShell toast', () => {
  it('runs powershell -NoProfile -NonInteractive -EncodedCommand with the UTF-16LE script', () => {
    const c = windowsNotifyCommand(n);
    expect(c.name).toBe('powershell');
    expect(c.args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-WindowStyle', 'Hidden', '-EncodedCommand']);
    expect(Buffer.from(c.args[5], 'base64').toString('utf16le')).toBe(windowsToastScript(n));
  });

  it('builds the toast from text nodes with quoted literals, and opens the link on click', () => {
    const s = windowsToastScript(n);
    expect(s).toContain(`$null = $t.Item(0).AppendChild($xml.CreateTextNode('Posture: Firewall needs fixing'))`);
    expect(s).toContain(`$xml.DocumentElement.SetAttribute('launch', 'https://posture.example/my-device?t=abc.def.ghi')`);
    expect(s).toContain(`CreateToastNotifier('{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe').Show($toast)`);
  });

  it("a quote in the text cannot end the literal (ASCII and typographic quotes are doubled)", () => {
    expect(psQuote("it's")).toBe("'it''s'");
    expect(psQuote('a’); Remove-Item C:\\ -Recurse; (’')).toBe("'a’’); Remove-Item C:\\ -Recurse; (’’'");
    const s = windowsToastScript({ ...n, title: "x'); Start-Process calc; ('" });
    expect(s).toContain(`CreateTextNode('x''); Start-Process calc; (''')`);
    // Read the literal as PowerShell does: it ends exactly before "))" at the end of the line.
    const line = s.split('\n').find((l) => l.includes('Item(0)'))!;
    const start = line.indexOf("CreateTextNode('") + 16;
    let i = start;
    let value = '';
    for (; i < line.length; i++) {
      if (line[i] === "'" && line[i + 1] === "'") value += line[i++];
      else if (line[i] === "'") break;
      else value += line[i];
    }
    expect(value).toBe("x'); Start-Process calc; ('");
    expect(line.slice(i)).toBe("'))");
  });
});

describe('posture-agent open: browser command per platform', () => {
  const url = 'https://posture.example/my-device?t=a.b.c';
  it('xdg-open / open / Start-Process', () => {
    expect(openCommandFor('linux', url)).toEqual({ name: 'xdg-open', args: [url] });
    expect(openCommandFor('darwin', url)).toEqual({ name: 'open', args: [url] });
    expect(openCommandFor('win32', url)).toEqual({ name: 'powershell', args: ['-NoProfile', '-NonInteractive', '-Command', `Start-Process '${url}'`] });
    expect(openCommandFor('aix', url)).toBeNull();
  });
});
