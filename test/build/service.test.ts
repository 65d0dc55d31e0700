/**
 * Service definitions: packaging/ matches what `posture-agent install` writes, the systemd
 * unit passes systemd's own verifier, the plist parses as a property list, and install /
 * uninstall really write and remove the unit on this Linux machine.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagingFiles, PACKAGING } from '../../scripts/build/packaging.js';
import { launchdPlist, systemdUnit } from '../../agent/src/cli/service.js';
import { runAgentCli } from '../helpers/agent.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('agent service definitions', () => {
  it('packaging/ holds exactly what the generators produce (run scripts/build/packaging.ts after changing them)', () => {
    for (const [rel, content] of Object.entries(packagingFiles())) expect(readFileSync(join(PACKAGING, rel), 'utf8'), rel).toBe(content);
  });

  it.skipIf(!has('systemd-analyze'))('the systemd unit passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'posture-unit-'));
    const bin = join(dir, 'posture-agent');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    const unit = join(dir, 'posture-agent.service');
    writeFileSync(unit, systemdUnit(bin, '/var/lib/posture-agent'));
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    // Lines about this unit are problems; other units on the host are not ours to judge.
    const ours = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('posture-agent.service'));
    expect(ours).toEqual([]);
  });

  it.skipIf(!has('python3'))('the launchd plist is a valid property list with the agent as program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'posture-plist-'));
    const p = join(dir, 'a.plist');
    writeFileSync(p, launchdPlist('/usr/local/bin/posture-agent', '/Library/Application Support/Posture/agent'));
    const r = spawnSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', p], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const plist = JSON.parse(r.stdout);
    expect(plist.Label).toBe('com.posture.agent');
    expect(plist.ProgramArguments).toEqual(['/usr/local/bin/posture-agent', 'run', '--state-dir', '/Library/Application Support/Posture/agent']);
    expect(plist.KeepAlive).toBe(true);
  });

  it('the unit gives the local channel a runtime directory users can reach (issue 18 #1)', () => {
    const unit = systemdUnit('/usr/local/bin/posture-agent', '/var/lib/posture-agent');
    expect(unit).toContain('RuntimeDirectory=posture-agent\nRuntimeDirectoryMode=0755');
    expect(unit).toContain('StateDirectoryMode=0700');
  });

  it('install --dry-run prints the unit and the systemctl commands without touching the system', async () => {
    const r = await runAgentCli(['install', '--dry-run', '--binary', '/opt/posture/posture-agent']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('would write /etc/systemd/system/posture-agent.service');
    expect(r.stdout).toContain('ExecStart=/opt/posture/posture-agent run --state-dir /var/lib/posture-agent');
    expect(r.stdout).toContain('would run: systemctl enable --now posture-agent.service');
  });

  const unitPath = '/etc/systemd/system/posture-agent.service';
  it.skipIf(process.getuid?.() !== 0 || existsSync(unitPath))('install writes the unit and uninstall removes it (as root)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'posture-inst-'));
    const bin = join(dir, 'posture-agent');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    try {
      const i = await runAgentCli(['install', '--binary', bin]);
      expect(i.code, i.stdout + i.stderr).toBe(0);
      expect(readFileSync(unitPath, 'utf8')).toContain(`ExecStart=${bin} run --state-dir /var/lib/posture-agent`);
      const u = await runAgentCli(['uninstall']);
      expect(u.code, u.stdout + u.stderr).toBe(0);
      expect(existsSync(unitPath)).toBe(false);
    } finally {
      if (existsSync(unitPath) && readFileSync(unitPath, 'utf8').includes(bin)) spawnSync('rm', ['-f', unitPath]);
    }
  });
});
