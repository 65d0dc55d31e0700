/**
 * The single-executable agent (npm run build:agent → dist/posture-agent), as an operator
 * would ship it: no node_modules, no tsx. It must print schema-valid check results, enroll
 * against a real collector and deliver a signed report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { compile } from '#shared/schema/validate.js';
import { CheckResult } from '#shared/checks/result.js';
import { CHECK_IDS } from '#shared/checks/ids.js';
import { Inventory } from '#shared/protocol/inventory.js';
import { ENROLL_SECRET, ROOT, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';

function runBin(bin: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const CheckOutput = compile(Type.Object({ device: Inventory, checks: Type.Array(CheckResult) }, { additionalProperties: false }));

describe('single-executable agent', () => {
  let dir: string;
  let bin: string;
  let collector: TestCollector;

  beforeAll(async () => {
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build', 'agent.ts')], { cwd: ROOT, stdio: 'pipe', timeout: 240_000 });
    // Run it from a directory with no node_modules in reach: the file must be self-contained.
    dir = mkdtempSync(join(tmpdir(), 'posture-sea-'));
    bin = join(dir, 'posture-agent');
    cpSync(join(ROOT, 'dist', 'posture-agent'), bin);
    collector = await startTestCollector('pglite');
  }, 300_000);

  afterAll(async () => {
    await collector?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is one file that runs `check --json` with schema-valid output for all six checks', () => {
    expect(existsSync(bin)).toBe(true);
    const r = spawnSync(bin, ['check', '--json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const v = CheckOutput.validate(JSON.parse(r.stdout));
    expect(v.ok ? [] : v.errors).toEqual([]);
    const ids = JSON.parse(r.stdout).checks.map((c: { id: string }) => c.id).sort();
    expect(ids).toEqual([...CHECK_IDS].sort());
  }, 130_000);

  it('enrolls against a collector and delivers a signed report', async () => {
    const state = join(dir, 'state');
    // Asynchronously: the collector runs in this process and must keep serving meanwhile.
    const en = await runBin(bin, ['enroll', '--server', collector.url, '--secret', ENROLL_SECRET, '--state-dir', state], dir);
    expect(en.code, en.stderr).toBe(0);
    const deviceId = /device (\S+)/.exec(en.stdout)?.[1];
    expect(deviceId).toMatch(/^dev_/);
    const run = spawn(bin, ['run', '--state-dir', state], { cwd: dir, stdio: 'ignore' });
    try {
      const d = await waitFor(async () => {
        const r = await collector.api(`/api/v1/devices/${deviceId}`);
        return r.body?.lastReportAt ? r.body : null;
      }, 90_000, 500);
      expect(d.checks.map((c: { id: string }) => c.id).sort()).toEqual([...CHECK_IDS].sort());
      const reports = await collector.db.query<{ jws: string }>('SELECT jws FROM reports WHERE device_id = $1', [deviceId]);
      expect(reports.rows.length).toBeGreaterThan(0);
      expect(reports.rows[0].jws.split('.')).toHaveLength(3);
    } finally {
      run.kill('SIGTERM');
    }
  }, 120_000);
});
