/**
 * Windows PowerShell for CIM/WMI and cmdlets, always emitting JSON. Scripts are constants
 * in the probes (never built from input), run with -NoProfile so a user profile cannot
 * change the output, and output is forced to UTF-8 so names survive any code page.
 */
import type { RunOptions, RunResult } from '../../exec/runner.js';
import type { ProbeContext } from '../types.js';

export function runPowerShell(ctx: ProbeContext, script: string, opts: RunOptions = {}): Promise<RunResult> {
  // Constrained Language Mode (AppLocker/WDAC machines) refuses setting OutputEncoding; the
  // probe must still run there, so the assignment may fail quietly (output then uses the
  // OEM code page, which parsers of numeric/JSON values do not mind).
  const prelude = "$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue';try{[Console]::OutputEncoding=[Text.Encoding]::UTF8}catch{};";
  return ctx.run('powershell', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', prelude + script], { timeoutMs: 20_000, ...opts });
}

/** JSON from PowerShell: a single object where a list was expected comes unwrapped. */
export function parseJsonList<T>(text: string): T[] | null {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (!t) return [];
  try {
    const v = JSON.parse(t);
    return Array.isArray(v) ? v : v === null ? [] : [v];
  } catch {
    return null;
  }
}
