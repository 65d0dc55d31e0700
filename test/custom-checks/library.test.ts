/**
 * The policies/ library: every snippet loads through the policy loader, maps each check to
 * SOC 2 and CIS, and its Linux checks give the right verdict on a prepared root (pass and
 * fail states), run by the agent's real custom-check runner.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePolicyOrSnippet } from '../../shared/src/custom-checks/snippet.js';
import type { CustomCheck } from '../../shared/src/custom-checks/schema.js';
import { liveContext } from '../../agent/src/checks/registry.js';
import { runCustomChecks } from '../../agent/src/checks/custom/run.js';

const dir = join(__dirname, '../../policies');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const all = new Map<string, CustomCheck>();
for (const f of files) {
  const r = parsePolicyOrSnippet(readFileSync(join(dir, f), 'utf8'), f);
  if (r.ok) for (const c of r.policy.customChecks ?? []) all.set(c.id, c);
}

describe('policies/ library', () => {
  it.each(files)('%s loads and maps every check to SOC 2 and CIS', (f) => {
    const r = parsePolicyOrSnippet(readFileSync(join(dir, f), 'utf8'), f);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.policy.customChecks?.length).toBeGreaterThan(0);
    for (const c of r.policy.customChecks!) {
      expect(c.controls?.soc2?.length, c.id).toBeGreaterThan(0);
      expect(c.controls?.cis?.length, c.id).toBeGreaterThan(0);
      expect(c.remediation?.steps?.length, c.id).toBeGreaterThan(0);
    }
  });

  it('covers what the issue asks for', () => {
    expect([...all.keys()].sort()).toEqual(
      ['custom.auto-login-disabled', 'custom.guest-account-disabled', 'custom.macos-gatekeeper', 'custom.macos-sip', 'custom.password-manager', 'custom.secure-boot', 'custom.ssh-no-password', 'custom.vpn-client'].sort(),
    );
    expect(all.get('custom.password-manager')!.probes.win32).toMatchObject({ names: ['1Password', 'Bitwarden', 'KeePassXC', 'Dashlane', 'LastPass'] });
  });

  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const rootWith = (files: Record<string, string | Buffer>) => {
    const r = mkdtempSync(join(tmpdir(), 'posture-lib-'));
    roots.push(r);
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(join(r, p, '..'), { recursive: true });
      writeFileSync(join(r, p), t);
    }
    return r;
  };
  const verdicts = async (root: string, ids: string[]) => {
    const ctx = { ...liveContext({ root }), platform: 'linux' as const };
    const out = await runCustomChecks(ids.map((i) => all.get(i)!), ctx);
    return Object.fromEntries(out.map((r) => [r.id, r.status]));
  };
  const EFI = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';
  const ids = ['custom.ssh-no-password', 'custom.auto-login-disabled', 'custom.guest-account-disabled', 'custom.secure-boot'];

  it('Linux checks pass on a hardened root', async () => {
    const r = rootWith({
      '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n',
      '/etc/gdm3/custom.conf': '[daemon]\nAutomaticLoginEnable=false\n',
      '/etc/lightdm/lightdm.conf': '[Seat:*]\nallow-guest=false\n',
      [EFI]: Buffer.from([0x06, 0, 0, 0, 0x01]),
    });
    expect(await verdicts(r, ids)).toEqual({ 'custom.ssh-no-password': 'pass', 'custom.auto-login-disabled': 'pass', 'custom.guest-account-disabled': 'pass', 'custom.secure-boot': 'pass' });
  });

  it('Linux checks fail on a weak root; Secure Boot unreadable is unknown', async () => {
    const r = rootWith({
      '/etc/ssh/sshd_config': '#PasswordAuthentication no\nPasswordAuthentication yes\n',
      '/etc/gdm3/custom.conf': '[daemon]\nAutomaticLoginEnable = True\nAutomaticLogin = kiosk\n',
      '/etc/lightdm/lightdm.conf': '[Seat:*]\nallow-guest=true\n',
    });
    expect(await verdicts(r, ids)).toEqual({ 'custom.ssh-no-password': 'fail', 'custom.auto-login-disabled': 'fail', 'custom.guest-account-disabled': 'fail', 'custom.secure-boot': 'unknown' });
    const off = rootWith({ [EFI]: Buffer.from([0x06, 0, 0, 0, 0x00]) });
    expect((await verdicts(off, ['custom.secure-boot']))['custom.secure-boot']).toBe('fail');
  });

  it('macOS-only checks are not applicable on Linux (no result)', async () => {
    expect(await verdicts(rootWith({}), ['custom.macos-gatekeeper', 'custom.macos-sip'])).toEqual({});
  });
});
