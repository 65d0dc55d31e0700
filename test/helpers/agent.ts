/** Run the real agent CLI as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './collector.js';

const ENTRY = join(ROOT, 'agent', 'src', 'cli', 'main.ts');

export function agentArgs(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', ENTRY, ...args]];
}

export async function runAgentCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, a] = agentArgs(args);
  const child = spawn(cmd, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function startAgentProcess(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; stop(): Promise<void> } {
  const [cmd, a] = agentArgs(args);
  const child = spawn(cmd, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, stepMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`waitFor timed out${last ? `: ${(last as Error).message}` : ''}`);
}

/** Enroll a real agent process into `dir` (a new temp dir by default); fails the test if enrollment fails. */
export async function enrollAgent(server: string, secret: string, dir = ''): Promise<{ dir: string; deviceId: string }> {
  const { tempDir } = await import('./db.js');
  const { expect } = await import('vitest');
  const stateDir = dir || tempDir('posture-agent-');
  const r = await runAgentCli(['enroll', '--server', server, '--secret', secret, '--state-dir', stateDir]);
  expect(r.code, r.stderr).toBe(0);
  return { dir: stateDir, deviceId: /device (dev_\S+)/.exec(r.stdout)?.[1] ?? '' };
}
