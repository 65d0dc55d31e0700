/**
 * Debian preseeding of the .deb (scripts/package/deb.ts): answers given to the real
 * `debconf-set-selections` before a real `dpkg -i` configure the agent, the way an
 * unattended install (preseed, Ansible's debconf module, an MDM script) does it.
 *
 * Installed into THIS machine (debconf cannot run in the busybox scratch roots of
 * linux-packages.test.ts: it is Perl), so it runs only as root, with debconf present, and
 * when no posture-agent package, settings file or /opt/posture-agent exists here; the package
 * and its debconf answers are purged afterwards, also when the test fails. The payload is a
 * stand-in script: this test is about the install-time settings (the real binary's install,
 * enrollment and removal are linux-packages.test.ts); the written file is read back with the
 * agent's own parser (enroll-config.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeb } from '../../scripts/package/deb.js';
import { OPT_DIR, envFile } from '../../scripts/package/layout.js';
import { enrollSettings, parseEnvFile } from '../../agent/src/cli/enroll-config.js';

const ENV_FILE = envFile('deb');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const why = [
  process.getuid?.() !== 0 && 'not root',
  !has('dpkg') && 'no dpkg',
  !has('debconf-set-selections') && 'no debconf',
  spawnSync('dpkg', ['-s', 'posture-agent']).status === 0 && 'posture-agent is installed on this machine',
  existsSync(ENV_FILE) && `${ENV_FILE} exists`,
  existsSync(OPT_DIR) && `${OPT_DIR} exists`,
].filter(Boolean);
if (why.length) console.warn(`SKIPPED debconf preseed test: ${why.join(', ')}`);

const run = (cmd: string, args: string[], input?: string) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};
const dcGet = (q: string) => run('debconf-communicate', ['posture-agent'], `GET posture-agent/${q}\n`).out.trim();

describe.skipIf(why.length > 0)('Debian preseed: debconf-set-selections, then dpkg -i', () => {
  let dir: string;
  let deb: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'posture-preseed-'));
    const bin = join(dir, 'posture-agent');
    writeFileSync(bin, '#!/bin/sh\necho 0.1.0\n', { mode: 0o755 });
    deb = buildDeb({ target: 'linux-x64', version: '0.1.0', binary: bin, outDir: join(dir, 'out'), workDir: join(dir, 'work'), maintainer: 'Posture <posture@example.com>', homepage: 'https://example.com/posture', compression: 'none' }).file;
  });
  afterAll(() => {
    // Whatever happened: the package, its settings and its debconf answers leave this machine.
    run('dpkg', ['--purge', 'posture-agent']);
    run('debconf-communicate', ['posture-agent'], 'PURGE\n');
    rmSync(ENV_FILE, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the package carries the three questions and a config script', () => {
    const ctl = join(dir, 'ctl');
    expect(run('dpkg-deb', ['-e', deb, ctl]).code).toBe(0);
    const t = readFileSync(join(ctl, 'templates'), 'utf8');
    for (const [q, type] of [['server', 'string'], ['secret', 'password'], ['owner', 'string']]) expect(t).toContain(`Template: posture-agent/${q}\nType: ${type}\n`);
    expect(statSync(join(ctl, 'config')).mode & 0o777).toBe(0o755);
    for (const s of ['config', 'postinst', 'postrm']) expect(run('sh', ['-n', join(ctl, s)]).code, s).toBe(0);
  });

  it('preseeded answers become /etc/default/posture-agent (root, 0600); the secret leaves debconf; purge removes all', () => {
    const sel = ['posture-agent posture-agent/server string https://posture.example.com', 'posture-agent posture-agent/secret password pst_enr_preseed-0123456789', 'posture-agent posture-agent/owner string dana@example.com'].join('\n');
    const s = run('debconf-set-selections', [], `${sel}\n`);
    expect(s.code, s.out).toBe(0);
    const r = run('dpkg', ['--force-depends', '-i', deb]);
    expect(r.code, r.out).toBe(0);
    const st = statSync(ENV_FILE);
    expect(st.mode & 0o777).toBe(0o600);
    expect([st.uid, st.gid]).toEqual([0, 0]);
    const parsed = enrollSettings(parseEnvFile(readFileSync(ENV_FILE, 'utf8')), ENV_FILE);
    expect(parsed).toEqual({ ok: true, settings: { server: 'https://posture.example.com', secret: 'pst_enr_preseed-0123456789', owner: 'dana@example.com' } });
    // The secret is kept once, in the 0600 file; debconf's copy is cleared.
    expect(dcGet('secret')).toBe('0');
    expect(dcGet('server')).toBe('0 https://posture.example.com');

    // A reinstall keeps the file an administrator (or this install) wrote: new answers do not overwrite it.
    run('debconf-set-selections', [], 'posture-agent posture-agent/server string https://other.example.com\n');
    expect(run('dpkg', ['--force-depends', '-i', deb]).code).toBe(0);
    expect(readFileSync(ENV_FILE, 'utf8')).toContain('SERVER="https://posture.example.com"');

    const p = run('dpkg', ['--purge', 'posture-agent']);
    expect(p.code, p.out).toBe(0);
    expect(existsSync(ENV_FILE)).toBe(false);
    expect(existsSync(OPT_DIR)).toBe(false);
    // Debian policy: purge removes the package's debconf answers too.
    expect(dcGet('server')).toMatch(/^10 /);
  });
});
