/**
 * Run the probe cycle in a short-lived child process so the resident agent stays small: the
 * probes, their parsers and systeminformation are loaded only in the child, and their memory
 * goes back to the system when it exits. The resident keeps the socket, spool, key and
 * scheduler (runtime/agent.ts); it signs and validates what the child returns as before.
 *
 * The child is this same program (the single-file executable, or node + the same entry) with
 * the hidden command `__cycle`; options go in on stdin as JSON, the CycleResult comes back on
 * stdout as JSON. Same user, same binary: nothing crosses a privilege boundary.
 */
import { spawn } from 'node:child_process';
import type { CheckId } from '#shared/checks/ids.js';
import type { CycleResult } from '../report/build.js';
import type { CycleRunner } from './agent.js';

/** Hidden CLI command name of the child side. */
export const CYCLE_CHILD_COMMAND = '__cycle';
const MAX_OUTPUT = 4 * 1024 * 1024;

/** argv that starts this program again: the SEA binary alone, or node with its loader flags and entry script. */
function selfCommand(): { cmd: string; args: string[] } {
  let sea = false;
  try {
    // node:sea exists from Node 20; isSea() is true inside the single-file executable.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sea = (process as unknown as { getBuiltinModule?: (m: string) => { isSea?: () => boolean } }).getBuiltinModule?.('node:sea')?.isSea?.() === true;
  } catch {
    sea = false;
  }
  return sea ? { cmd: process.execPath, args: [] } : { cmd: process.execPath, args: [...process.execArgv, process.argv[1]] };
}

export interface ChildCycleOptions {
  cacheDir: string;
  /** A cycle that takes longer is killed and counted as failed (default 5 minutes). */
  timeoutMs?: number;
}

export function childCycleRunner(opts: ChildCycleOptions): CycleRunner {
  return (o) => runInChild({ only: o.only, thresholds: o.thresholds, customChecks: o.customChecks, cacheDir: opts.cacheDir }, opts.timeoutMs ?? 300_000);
}

function runInChild(input: { only?: CheckId[]; thresholds?: Record<string, unknown>; customChecks?: readonly unknown[]; cacheDir: string }, timeoutMs: number): Promise<CycleResult> {
  const { cmd, args } = selfCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, CYCLE_CHILD_COMMAND], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start the check process: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`check process ${signal ? `killed (${signal})` : `exited ${code}`}${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as CycleResult);
      } catch (e) {
        reject(new Error(`check process answered something that is not JSON: ${(e as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** The child side: read options from stdin, run one cycle, write the result, exit. */
export async function cycleChildMain(): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { only?: CheckId[]; thresholds?: Record<string, unknown>; customChecks?: unknown[]; cacheDir?: string };
  const { runCycle } = await import('./cycle.js');
  const result = await runCycle(input);
  await new Promise<void>((r) => process.stdout.write(JSON.stringify(result), () => r()));
  return 0;
}
