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

/** Waited-for descendants' user+system CPU of this process (ms), Linux /proc/self/stat cutime+cstime. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

/**
 * The child-process cycle as the resident agent runs it (`posture-agent __cycle`, a fresh
 * process each time, on-disk probe cache kept): total CPU of the child and everything it ran,
 * and its peak RSS. The commands' own CPU is the in-process figure of the same run
 * (agent-cycle.ts), so own CPU = total − commands.
 */
export function childCycleCost(n = 3): { totalCpuMs: number[]; peakRssMiB: number } {
  const { cmd, args } = agentCmd();
  const cacheDir = mkdtempSync(join(tmpdir(), 'posture-bench-childcache-'));
  try {
    const totals: number[] = [];
    let peak = 0;
    for (let i = 0; i < n + 1; i++) {
      const c0 = childrenCpuMs();
      const r = spawnSync(cmd, [...args, '__cycle'], { cwd: ROOT, input: JSON.stringify({ cacheDir }), encoding: 'utf8', timeout: 120_000, maxBuffer: 8 << 20 });
      if (r.status !== 0) throw new Error(`__cycle failed: ${r.stderr}`);
      if (i > 0) totals.push(Math.round(childrenCpuMs() - c0)); // the first run fills the disk cache
    }
    // Peak RSS of one child cycle, from GNU time when installed.
    const t = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args, '__cycle'], { cwd: ROOT, input: JSON.stringify({ cacheDir }), encoding: 'utf8', timeout: 120_000, maxBuffer: 8 << 20 });
    if (t.status === 0) peak = round(Number((t.stderr.trim().split('\n').pop() ?? '0')) / 1024);
    return { totalCpuMs: totals, peakRssMiB: peak };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/**
 * One enrolled agent state directory for every footprint run of a bench: a second enrollment
 * from the same machine waits for an administrator (it would replace the first install's key),
 * so the child-cycle and one-process runs share this device, one after the other.
 */
export interface EnrolledAgent {
  dir: string;
  deviceId: string | undefined;
  remove(): void;
}

export function enrollBenchAgent(url: string): EnrolledAgent {
  const { cmd, args } = agentCmd();
  const dir = mkdtempSync(join(tmpdir(), 'posture-bench-agent-'));
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  const en = spawnSync(cmd, [...args, 'enroll', '--server', url, '--secret', BENCH_ENROLL_SECRET, '--state-dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (en.status !== 0) {
    remove();
    throw new Error(`agent enroll failed: ${en.stderr || en.stdout}`);
  }
  return { dir, deviceId: /device (\S+)/.exec(en.stdout)?.[1], remove };
}

/**
 * Idle RSS of `posture-agent run` on an enrolled state dir: sampled `idleSeconds` after its
 * start-up cycle was reported (the resident between two cycles; the interval is 15 minutes).
 */
export async function agentFootprint(url: string, agent: EnrolledAgent, idleSeconds: number, env: Record<string, string> = {}): Promise<FootprintResult> {
  const { cmd, args, form } = agentCmd();
  const { dir, deviceId } = agent;
  const before = deviceId ? ((await api(url, `/api/v1/devices/${deviceId}`)).body?.lastReportAt as string | undefined) : undefined;
  const child = spawn(cmd, [...args, 'run', '--state-dir', dir], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env } });
  try {
    // Idle = after the start-up cycle was reported and the process had time to settle.
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      const d = deviceId ? await api(url, `/api/v1/devices/${deviceId}`) : null;
      if (d?.body?.lastReportAt && d.body.lastReportAt !== before) break;
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
    // Five cycles: two cold, three warm (the target is the worst warm one).
    const cyc = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench', 'agent-cycle.ts'), '5'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    const cycle = (cyc.stdout + cyc.stderr).trim().split('\n').filter(Boolean);
    return { agentForm: form, idleRssMiB, idleRssAnonMiB: kb('RssAnon'), idleRssFileMiB: kb('RssFile'), cycle };
  } finally {
    const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    child.kill('SIGTERM');
    await exited;
  }
}
