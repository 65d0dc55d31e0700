/**
 * The Windows .msi (wixl) and the macOS tarball of real win-x64 / darwin-x64 agents
 * (npm run package). The MSI's tables are read back with msiinfo and its files extracted with
 * msiextract; nothing here runs Windows Installer or the SCM (no Windows on this machine), so
 * what is checked is what the installer will be told to do. The tarball: entries, modes,
 * the launchd plist through a plist parser, and the shell syntax of its scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plist from 'plist';
import { packageAll } from '../../scripts/package/main.js';
import { SECURE_PROPERTIES, SERVICE_EXE, UPGRADE_CODE } from '../../scripts/package/msi.js';
import { ENROLL_CONF } from '../../scripts/package/macos.js';
import { agentsFor } from './built-agents.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['wixl', 'msiinfo', 'msibuild', 'msiextract'].filter((t) => !has(t));
if (missing.length) console.warn(`SKIPPED .msi tests: missing ${missing.join(', ')} (apt-get install wixl msitools)`);

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** msiinfo export TABLE → rows as objects (header line, type line, table-name line, rows). */
function table(msi: string, name: string): Record<string, string>[] {
  const lines = execFileSync('msiinfo', ['export', msi, name], { encoding: 'utf8' }).replace(/\r/g, '').split('\n').filter(Boolean);
  const cols = lines[0].split('\t');
  return lines.slice(3).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('Windows .msi and macOS tarball', () => {
  let dir: string;
  let agentDir: string;
  let msi: string;
  let tgz: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'posture-pkgw-'));
    ({ agentDir } = await agentsFor(['win-x64', 'darwin-x64'], join(dir, 'agent')));
    const formats = missing.length ? (['macos-tar'] as const) : (['msi', 'macos-tar'] as const);
    const out = await packageAll({ targets: missing.length ? ['darwin-x64'] : ['win-x64', 'darwin-x64'], formats: [...formats], agentDir, outDir: join(dir, 'out'), compression: 'gzip', quiet: true });
    msi = out.find((o) => o.format === 'msi')?.file ?? '';
    tgz = out.find((o) => o.format === 'macos-tar')!.file;
  }, 400_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(missing.length > 0)('the .msi installs the agent and WinSW under Program Files and registers the service', () => {
    const tables = execFileSync('msiinfo', ['tables', msi], { encoding: 'utf8' }).split('\n');
    for (const t of ['File', 'Component', 'Directory', 'ServiceInstall', 'ServiceControl', 'Registry', 'Property', 'Upgrade']) expect(tables).toContain(t);

    const dirs = Object.fromEntries(table(msi, 'Directory').map((r) => [r.Directory, r]));
    expect(dirs.INSTALLDIR.Directory_Parent).toBe('ProgramFiles64Folder');
    expect(dirs.INSTALLDIR.DefaultDir).toBe('Posture');

    const files = Object.fromEntries(table(msi, 'File').map((r) => [r.FileName, r]));
    expect(Object.keys(files).sort()).toEqual(['posture-agent-service.exe', 'posture-agent-service.exe.config', 'posture-agent-service.xml', 'posture-agent.exe']);
    expect(Number(files['posture-agent.exe'].FileSize)).toBe(statSync(join(agentDir, 'win-x64', 'posture-agent.exe')).size);

    // The service runs the component's key file: the WinSW wrapper, automatic start, LocalSystem.
    const svc = table(msi, 'ServiceInstall');
    expect(svc).toHaveLength(1);
    expect(svc[0]).toMatchObject({ Name: 'posture-agent', ServiceType: '16', StartType: '2', StartName: 'LocalSystem', Component_: 'Service' });
    const comp = Object.fromEntries(table(msi, 'Component').map((r) => [r.Component, r]));
    expect(comp.Service.KeyPath).toBe('ServiceExe');
    expect(comp.Service.Directory_).toBe('INSTALLDIR');
    expect(Number(comp.Service.Attributes) & 256).toBe(256); // msidbComponentAttributes64bit
    // 1 start on install + 2 stop on install + 32 stop on uninstall + 128 delete on uninstall.
    const ctl = table(msi, 'ServiceControl');
    expect(ctl[0]).toMatchObject({ Name: 'posture-agent', Event: String(1 + 2 + 32 + 128), Wait: '1', Component_: 'Service' });

    const reg = table(msi, 'Registry').map((r) => ({ root: r.Root, key: r.Key.replace(/\\$/, ''), name: r.Name, value: r.Value }));
    expect(reg.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { root: '2', key: 'SOFTWARE\\Posture\\Agent', name: 'Owner', value: '[OWNER]' },
      { root: '2', key: 'SOFTWARE\\Posture\\Agent', name: 'Secret', value: '[SECRET]' },
      { root: '2', key: 'SOFTWARE\\Posture\\Agent', name: 'Server', value: '[SERVER]' },
    ]);
    const props = Object.fromEntries(table(msi, 'Property').map((r) => [r.Property, r.Value]));
    expect(props.SecureCustomProperties).toBe(SECURE_PROPERTIES);
    expect(props.SecureCustomProperties.split(';')).toEqual(expect.arrayContaining(['SERVER', 'SECRET', 'OWNER']));
    expect(props.MsiHiddenProperties).toBe('SECRET');
    expect(props.UpgradeCode).toBe(`{${UPGRADE_CODE}}`);
    expect(props.ALLUSERS).toBe('1');
  });

  it.skipIf(missing.length > 0)('the .msi carries the built agent byte for byte, and WinSW configured to run it', () => {
    const x = join(dir, 'msi-x');
    execFileSync('msiextract', ['-C', x, msi], { stdio: 'pipe' });
    const got = Object.fromEntries(walk(x).map((p) => [p.split('/').pop()!, p]));
    expect(sha(got['posture-agent.exe'])).toBe(sha(join(agentDir, 'win-x64', 'posture-agent.exe')));
    const wrapper = readFileSync(got[SERVICE_EXE]);
    expect(wrapper.subarray(0, 2).toString()).toBe('MZ');
    // WinSW's own usage text (UTF-16 in the .NET assembly), not dumped on failure: it is binary.
    expect(wrapper.includes(Buffer.from('Usage: winsw', 'utf16le')), 'WinSW usage string in the wrapper').toBe(true);
    const xml = readFileSync(got['posture-agent-service.xml'], 'utf8');
    expect(xml).toContain('<executable>%BASE%\\posture-agent.exe</executable>');
    expect(xml).toContain('--enroll-config registry:HKLM\\SOFTWARE\\Posture\\Agent</arguments>');
    expect(xml).toMatch(/<onfailure action="restart"/);
  });

  it('the macOS tarball: agent, launchd plist that parses, install/uninstall/pkgbuild scripts', () => {
    const listing = execFileSync('tar', ['-tvzf', tgz], { encoding: 'utf8' });
    const top = tgz.split('/').pop()!.replace(/\.tar\.gz$/, '');
    for (const f of ['posture-agent', 'install.sh', 'uninstall.sh', 'build-pkg.sh']) expect(listing).toMatch(new RegExp(`^-rwxr-xr-x (root/root|0/0) .* ${top}/${f}$`, 'm'));
    expect(listing).toMatch(new RegExp(`^-rw-r--r-- (root/root|0/0) .* ${top}/com.posture.agent.plist$`, 'm'));
    const x = join(dir, 'mac-x');
    execFileSync('mkdir', ['-p', x]);
    execFileSync('tar', ['-xzf', tgz, '-C', x]);
    expect(sha(join(x, top, 'posture-agent'))).toBe(sha(join(agentDir, 'darwin-x64', 'posture-agent')));
    const p = plist.parse(readFileSync(join(x, top, 'com.posture.agent.plist'), 'utf8')) as Record<string, unknown>;
    expect(p.Label).toBe('com.posture.agent');
    expect(p.ProgramArguments).toEqual(['/usr/local/bin/posture-agent', 'run', '--state-dir', '/Library/Application Support/Posture/agent', '--enroll-config', ENROLL_CONF]);
    expect(p.RunAtLoad).toBe(true);
    expect(p.KeepAlive).toBe(true);
    for (const s of ['install.sh', 'uninstall.sh', 'build-pkg.sh']) {
      const r = spawnSync('sh', ['-n', join(x, top, s)], { encoding: 'utf8' });
      expect(r.status, `${s}: ${r.stderr}`).toBe(0);
    }
    expect(readFileSync(join(x, top, 'build-pkg.sh'), 'utf8')).toMatch(/pkgbuild --root .* --identifier com\.posture\.agent/);
  });
});
