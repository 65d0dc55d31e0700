/**
 * One full agent cycle (inventory + the six checks, runtime/cycle.ts), N times, in one process
 * as the daemon runs it. Prints wall time per cycle, the process's CPU time including
 * child processes (the probes' commands), and peak RSS.
 *   npx tsx scripts/bench/agent-cycle.ts [N=5]
 * Cycle 1 is "cold, empty cache" (a fresh install: apt's simulation runs), cycle 2 is
 * "cold, disk cache" (a restarted agent or a `posture-agent check` run: in-memory memos
 * dropped, the on-disk probe cache reused), later cycles are what the daemon pays every
 * interval. The probe cache lives in a temporary directory removed at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearPendingMemory } from '../../agent/src/checks/patch-level/pending-cache.js';
import { runCycle } from '../../agent/src/runtime/cycle.js';

/** Children's user+system CPU (ms) from /proc/self/stat cutime/cstime; Linux only. */
function childCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17)
    return (ticks * 1000) / 100; // USER_HZ is 100 on every mainstream Linux build
  } catch {
    return null;
  }
}

const n = Math.max(2, Number(process.argv[2] ?? 5));
const cacheDir = mkdtempSync(join(tmpdir(), 'posture-bench-cache-'));
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
const rows: { wallMs: number; selfCpuMs: number; childCpuMs: number | null; statuses: string }[] = [];
for (let i = 0; i < n; i++) {
  const cpu0 = process.cpuUsage();
  const child0 = childCpuMs();
  if (i === 1) clearPendingMemory(); // as if the agent had restarted
  const t0 = performance.now();
  // As the daemon runs it (runtime/cycle.ts): probe cache and the inventory's stable facts in cacheDir.
  const { checks } = await runCycle({ cacheDir });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const child1 = childCpuMs();
  rows.push({
    wallMs: Math.round(wallMs),
    selfCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    childCpuMs: child0 !== null && child1 !== null ? Math.round(child1 - child0) : null,
    statuses: checks.map((c) => `${c.id}=${c.status}`).join(' '),
  });
}
const ru = process.resourceUsage();
for (const [i, r] of rows.entries()) {
  const label = i === 0 ? ' (cold, empty cache)' : i === 1 ? ' (cold, disk cache)' : '';
  console.log(`cycle ${i + 1}${label}: wall ${r.wallMs} ms, cpu self ${r.selfCpuMs} ms + children ${r.childCpuMs ?? 'n/a'} ms`);
}
const warm = rows.slice(2);
if (warm.length) {
  const avg = (k: 'wallMs' | 'selfCpuMs') => Math.round(warm.reduce((s, r) => s + r[k], 0) / warm.length);
  console.log(`warm average: wall ${avg('wallMs')} ms, cpu self ${avg('selfCpuMs')} ms`);
}
console.log(`peak RSS ${(ru.maxRSS / 1024).toFixed(1)} MiB; last statuses: ${rows[rows.length - 1].statuses}`);
const worst = Math.max(...rows.map((r) => r.wallMs));
if (worst >= 3000) {
  console.error(`FAIL: slowest cycle ${worst} ms >= 3000 ms`);
  process.exitCode = 1;
}
