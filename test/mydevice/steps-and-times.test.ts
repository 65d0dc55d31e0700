/**
 * Issue 18 #3, the employee's view: fix steps fit the machine (package manager, desktop,
 * installed firewall tools), carry the threshold the policy checks, show commands as code
 * with no raw backticks, and times appear in the viewer's time zone (real Chromium with a
 * fixed timezoneId running the page's own script).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { fakeContext, fixture, ok } from '../agent/fake-context.js';
import { runOne } from '../../agent/src/checks/registry.js';
import { collectLinux as patchLinux } from '../../agent/src/checks/patch-level/linux.js';
import { collectLinux as firewallLinux } from '../../agent/src/checks/firewall/linux.js';
import { collectLinux as screenLinux } from '../../agent/src/checks/screen-lock/linux.js';
import type { Collector } from '../../agent/src/checks/types.js';
import type { BuiltinCheckId as CheckId } from '../../shared/src/checks/ids.js';
import { PAGE_JS } from '../../server/src/mydevice/page-js.js';
import { stepHtml, when } from '../../server/src/mydevice/view.js';

const C = (c: unknown) => c as Collector<CheckId>;
const NOW = new Date('2026-12-03T12:00:00Z');

describe('fix steps fit the machine', () => {
  it('patch_level: Debian sees apt only, Rocky sees dnf only', async () => {
    const deb = await runOne('patch_level', C(patchLinux), fakeContext({ now: NOW, files: { '/etc/os-release': fixture('patch-level', 'os-release.debian12.txt'), '/var/lib/dpkg/status': 'P\n' }, commands: { apt: ok('Listing...\nbash/stable 5.2.15-2+b8 amd64 [upgradable from: 5.2.15-2+b7]\n') } }));
    const steps = deb.remediation.steps.join('\n');
    expect(steps).toMatch(/sudo apt update/);
    expect(steps).not.toMatch(/dnf|zypper|pacman|Fedora/);
    const rocky = await runOne('patch_level', C(patchLinux), fakeContext({ now: NOW, files: { '/etc/os-release': fixture('patch-level', 'os-release.rocky9.txt'), '/usr/bin/dnf': 'x' }, commands: { dnf: (a) => (a.includes('check-update') ? ok(fixture('patch-level', 'dnf-check-update.rocky9.mirror-15.txt'), { ok: false, code: 100 }) : ok('')) } }));
    expect(rocky.remediation.steps.join('\n')).toMatch(/sudo dnf upgrade/);
    expect(rocky.remediation.steps.join('\n')).not.toMatch(/apt/);
  });
  it('firewall: no ufw step where ufw is absent; firewalld steps where firewalld runs', async () => {
    const bare = await runOne('firewall', C(firewallLinux), fakeContext({ elevated: true, commands: { nft: ok(fixture('firewall', 'nft-j-list-ruleset.debian12.empty.json')) } }));
    expect(bare.status).toBe('fail');
    expect(bare.remediation.steps.join('\n')).not.toMatch(/ufw|firewalld/);
    expect(bare.remediation.steps.join('\n')).toMatch(/nftables/);
    const fwd = await runOne('firewall', C(firewallLinux), fakeContext({ commands: { 'firewall-cmd': (a) => ok(a[0] === '--state' ? 'running\n' : 'trusted\n') } }));
    expect(fwd.remediation.steps.join('\n')).toMatch(/firewall-cmd --set-default-zone/);
    expect(fwd.remediation.steps.join('\n')).not.toMatch(/ufw/);
  });
  it('screen lock: the desktop that runs and the one number the policy checks', async () => {
    const files = { '/proc/2100/comm': 'plasmashell\n', '/proc/2100/status': 'Uid:\t1000\t1000\t1000\t1000\n', '/etc/passwd': 'alice:x:1000:1000::/home/alice:/bin/bash\n', '/home/alice/.config/kscreenlockerrc': '[Daemon]\nAutolock=false\n' };
    const r = await runOne('screen_lock', C(screenLinux), fakeContext({ files }), { thresholds: { maxIdleSeconds: 600 } });
    const steps = r.remediation.steps.join('\n');
    expect(steps).toMatch(/Screen Locking.*10 minutes or less/);
    expect(steps).not.toMatch(/GNOME|gsettings|15 minutes|300/);
  });
});

describe('pages show commands as code and times in the viewer\'s zone', () => {
  it('no raw backticks in a rendered step', () => {
    const h = String(stepHtml('Run `sudo apt update && sudo apt upgrade`.'));
    expect(h).toBe('Run <code>sudo apt update &amp;&amp; sudo apt upgrade</code>.');
    expect(h).not.toContain('`');
  });
  it.skipIf(!existsSync('/usr/bin/chromium'))('the page script rewrites UTC times in the browser\'s time zone', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const ctx = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US' });
      const page = await ctx.newPage();
      await page.setContent(`<p id="d">Fix by ${String(when('2026-12-05T15:30:00.000Z'))}</p>`);
      expect(await page.textContent('#d')).toBe('Fix by 2026-12-05 15:30 UTC');
      await page.addScriptTag({ content: PAGE_JS });
      const text = await page.textContent('#d');
      expect(text).toMatch(/Dec 5, 2026.*10:30\s?AM EST/);
      // The changed view, for the record (test-artifacts/ is not committed).
      const dir = join(import.meta.dirname, '..', '..', 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      await page.setContent(`<h3>Firewall</h3><p id="d">Fix by ${String(when('2026-12-05T15:30:00.000Z'))}</p><ol><li>${String(stepHtml('Turn on ufw with inbound traffic denied: \`sudo ufw default deny incoming && sudo ufw enable\`.'))}</li></ol>`);
      await page.addScriptTag({ content: PAGE_JS });
      await page.screenshot({ path: join(dir, 'issue18-3-steps-local-time.png') });
    } finally {
      await browser.close();
    }
  });
});
