/**
 * The figures issue 17 sets targets for, read from one run's results: printed as a table with
 * "met"/"missed" and stored in the JSON. A figure the run did not produce is "not measured".
 */
export interface TargetRow {
  figure: string;
  value: number | null;
  unit: string;
  target: string;
  verdict: 'met' | 'missed' | 'not measured';
}

type R = Record<string, any>;

const row = (figure: string, value: unknown, unit: string, target: string, ok: (v: number) => boolean): TargetRow => {
  const v = typeof value === 'number' && Number.isFinite(value) ? value : value === Infinity ? Infinity : null;
  return { figure, value: v, unit, target, verdict: v === null ? 'not measured' : ok(v) ? 'met' : 'missed' };
};

/** Warm agent cycles from agent-cycle.ts output lines: own CPU / external commands' CPU. */
export function cycleRatio(lines: string[] | undefined): { ratio: number | null; peakRssMiB: number | null } {
  if (!lines) return { ratio: null, peakRssMiB: null };
  const warm = lines
    .map((l) => /^cycle (\d+): wall \d+ ms, cpu self (\d+) ms \+ children (\d+) ms/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && Number(m[1]) >= 3)
    .map((m) => Number(m[2]) / Math.max(1, Number(m[3])));
  const peak = lines.map((l) => /peak RSS ([\d.]+) MiB/.exec(l)).find(Boolean);
  return { ratio: warm.length ? Math.max(...warm) : null, peakRssMiB: peak ? Number(peak[1]) : null };
}

/** Commands' CPU of warm in-process cycles (agent-cycle.ts "children" figure), averaged. */
function commandsCpu(lines: string[] | undefined): number | null {
  const v = (lines ?? []).map((l) => /^cycle (\d+): wall \d+ ms, cpu self \d+ ms \+ children (\d+) ms/.exec(l)).filter((m): m is RegExpExecArray => !!m && Number(m[1]) >= 2).map((m) => Number(m[2]));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

export function targets(r: R): TargetRow[] {
  const cyc = cycleRatio(r.agent?.cycle);
  const cmdCpu = commandsCpu(r.agent?.cycle);
  const childTotals: number[] = r.agentChildCycle?.totalCpuMs ?? [];
  const childRatio = cmdCpu && childTotals.length ? Math.max(...childTotals.map((t) => (t - cmdCpu) / cmdCpu)) : null;
  return [
    row(`sustained ingest / raw batched insert (same rows, same run; simulator pre-signed, ${r.ingest?.signedLiveInWindow ?? '?'} signed while measured)`, r.ingest?.ratio, '×', '≥ 0.5', (v) => v >= 0.5),
    row('  same, simulator signing each report while measured (old style, comparison)', r.ingestLiveSigning?.ratio, '×', '≥ 0.5', (v) => v >= 0.5),
    row(`projection lag p99 at saturating load (stored → applied; p50 ${r.ingest?.projectionLagP50Ms ?? '?'} ms)`, r.ingest?.projectionLagP99Ms, 'ms', '≤ 2000', (v) => v <= 2000),
    row(`projection lag p99 at 70% load (p50 ${r.ingestAt70pct?.projectionLagP50Ms ?? '?'} ms)`, r.ingestAt70pct?.projectionLagP99Ms, 'ms', '≤ 2000', (v) => v <= 2000),
    row(`check-now p99 at ${r.checkNow?.connected ?? '?'} connected (target is at 15,000)`, r.checkNow?.p99Ms, 'ms', '≤ 2000', (v) => v <= 2000),
    row(`agent idle RSS, probes in a child (${r.agent?.agentForm ?? '?'})`, r.agent?.idleRssMiB, 'MiB', '≤ 60', (v) => v <= 60),
    row('agent idle RSS, one process (comparison)', r.agentOneProcess?.idleRssMiB, 'MiB', '≤ 60', (v) => v <= 60),
    row('agent peak RSS during a cycle (in-process cycle)', cyc.peakRssMiB, 'MiB', '≤ 100', (v) => v <= 100),
    row('agent peak RSS of the cycle child', r.agentChildCycle?.peakRssMiB, 'MiB', '≤ 100', (v) => v <= 100),
    row('agent warm cycle own CPU / commands CPU, in-process (worst warm)', cyc.ratio === null ? null : Math.round(cyc.ratio * 100) / 100, '×', '≤ 1.5', (v) => v <= 1.5),
    row('agent cycle own CPU / commands CPU, child process (worst)', childRatio === null ? null : Math.round(childRatio * 100) / 100, '×', '≤ 1.5', (v) => v <= 1.5),
    row(`reconnect storm: ${r.storm?.agents ?? '?'} agents back`, r.storm?.reconnectSeconds, 's', '≤ 15 (keep)', (v) => v <= 15),
  ];
}

export function renderTargets(rows: TargetRow[]): string {
  const w = Math.max(...rows.map((x) => x.figure.length));
  return rows
    .map((x) => `${x.figure.padEnd(w)}  ${x.value === null ? '—' : `${x.value} ${x.unit}`}`.padEnd(w + 16) + `  target ${x.target.padEnd(18)} ${x.verdict}`)
    .join('\n');
}
