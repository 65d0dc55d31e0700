/**
 * Agent footprint: idle RSS of a real `posture-agent run` (the built single executable when
 * dist/posture-agent exists, else the TypeScript source through tsx), and one full check
 * cycle's wall time and CPU against the CPU of the commands it ran (scripts/bench/agent-cycle.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ENROLL_SECRET, ROOT, round, rssMiB, sleep, api } from './collector-proc.js';

export interface FootprintResult {
  agentForm: string;
  idleRssMiB: number;
  /** RSS split: private (heap, stacks) vs file-backed pages of the executable (shared, reclaimable). */
  idleRssAnonMiB: number;
  idleRssFileMiB: number;
  cycle: string[];
}

function agentCmd(): { cmd: string; args: string[]; form: string } {
  const bin = join(ROOT, 'dist', 'posture-agent');
  if (process.env.BENCH_AGENT !== 'src' && existsSync(bin)) return { cmd: bin, args: [], form: 'dist/posture-agent (single executable)' };
  return { cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'agent', 'src', 'cli', 'main.ts')], form: 'tsx agent/src/cli/main.ts (source)' };
}

export async function agentFootprint(url: string, idleSeconds: number): Promise<FootprintResult> {
  const { cmd, args, form } = agentCmd();
  const dir = mkdtempSync(join(tmpdir(), 'posture-bench-agent-'));
  try {
    const en = spawnSync(cmd, [...args, 'enroll', '--server', url, '--secret', BENCH_ENROLL_SECRET, '--state-dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    if (en.status !== 0) throw new Error(`agent enroll failed: ${en.stderr || en.stdout}`);
    const deviceId = /device (\S+)/.exec(en.stdout)?.[1];
    const child = spawn(cmd, [...args, 'run', '--state-dir', dir], { cwd: ROOT, stdio: 'ignore' });
    try {
      // Idle = after the start-up cycle was reported and the process had time to settle.
      const end = Date.now() + 120_000;
      while (Date.now() < end) {
        const d = deviceId ? await api(url, `/api/v1/devices/${deviceId}`) : null;
        if (d?.body?.lastReportAt) break;
        await sleep(500);
      }
      await sleep(idleSeconds * 1000);
      const samples: number[] = [];
      for (let k = 0; k < 5; k++) {
        samples.push(rssMiB(child.pid!));
        await sleep(1000);
      }
      const idleRssMiB = round(Math.max(...samples));
      const st = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k: string) => round(Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1]) / 1024);
      const cyc = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench', 'agent-cycle.ts'), '3'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
      const cycle = (cyc.stdout + cyc.stderr).trim().split('\n').filter(Boolean);
      return { agentForm: form, idleRssMiB, idleRssAnonMiB: kb('RssAnon'), idleRssFileMiB: kb('RssFile'), cycle };
    } finally {
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
