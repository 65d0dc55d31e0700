/**
 * npm run simulate -- --server URL --secret S --agents N --interval S --duration D
 *                     [--processes P] [--source-ips 127.0.0.2,127.0.0.3] [--offset K]
 *
 * N simulated agents, each enrolled with its own Ed25519 key (cached in node_modules/.cache/posture-simulate/ so a
 * rerun against the same collector skips enrolment), sending real signed reports over real
 * WebSockets. Prints progress every 5 s and a summary at the end. `--duration` counts from
 * the end of enrolment.
 */
import { Fleet } from './fleet.js';
import { percentile, type StatsSnapshot } from './stats.js';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const [key, inline] = a.slice(2).split('=', 2);
    out[key] = inline ?? argv[++k] ?? '';
  }
  return out;
}

const num = (v: string | undefined, def: number, name: string) => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
};

/** Comma lists of addresses and ranges (127.0.0.2-127.0.0.9 or 127.0.0.2-9). */
export function parseIps(v: string | undefined): string[] {
  if (!v) return [];
  return v.split(',').flatMap((part) => {
    const m = /^(\d+\.\d+\.\d+\.)(\d+)-(?:\d+\.\d+\.\d+\.)?(\d+)$/.exec(part.trim());
    if (!m) return [part.trim()];
    const out: string[] = [];
    for (let x = Number(m[2]); x <= Number(m[3]); x++) out.push(`${m[1]}${x}`);
    return out;
  });
}

export function formatSummary(s: StatsSnapshot, seconds: number): string {
  const p = (q: number) => percentile(s.hist, q);
  const kv = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  return [
    `connected now:      ${s.connected} (connections opened: ${s.connects})`,
    `enrolled:           ${s.enrolled} new, ${s.enrollCached} from cache`,
    `reports:            sent ${s.sent}, acked ${s.acked} (${(s.acked / Math.max(1, seconds)).toFixed(1)}/s), duplicates ${s.duplicates}, retry hints ${s.retries}, rejected ${s.rejects}`,
    `check-now answered: ${s.checkNow}`,
    `ack latency ms:     p50 ${p(50)}  p95 ${p(95)}  p99 ${p(99)}  max ${p(100)}`,
    `errors:             ${kv(s.errors)}`,
    `socket closes:      ${kv(s.closes)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (!a.server || !a.secret) {
    console.error('usage: npm run simulate -- --server URL --secret S --agents N --interval S --duration D [--processes P] [--source-ips 127.0.0.2,127.0.0.3|127.0.0.2-127.0.0.9]');
    process.exit(2);
  }
  const agents = num(a.agents, 100, 'agents');
  const duration = num(a.duration, 60, 'duration');
  const processes = Math.max(1, num(a.processes, Math.ceil(agents / 5000), 'processes'));
  const fleet = await Fleet.start({
    server: a.server.replace(/\/$/, ''),
    secret: a.secret,
    agents,
    intervalSec: num(a.interval, 60, 'interval'),
    processes,
    sourceIps: parseIps(a['source-ips']),
    offset: num(a.offset, 0, 'offset'),
    enrollConcurrency: num(a['enroll-concurrency'], 16, 'enroll-concurrency'),
  });
  const t0 = Date.now();
  let last = { t: t0, acked: 0 };
  const progress = setInterval(() => {
    const s = fleet.stats;
    const now = Date.now();
    const rate = ((s.acked - last.acked) * 1000) / (now - last.t);
    last = { t: now, acked: s.acked };
    const errs = Object.values(s.errors).reduce((x, y) => x + y, 0);
    console.log(
      `[${((now - t0) / 1000).toFixed(0).padStart(4)}s] enrolled ${s.enrolled + s.enrollCached}/${agents}  connected ${s.connected}  sent ${s.sent}  acked ${s.acked} (${rate.toFixed(0)}/s)  p99 ${percentile(s.hist, 99)} ms  errors ${errs}`,
    );
  }, 5_000);
  await fleet.until(() => fleet.enrolled, 3_600_000, 'enrolment');
  const runStart = Date.now();
  console.log(`enrolment done in ${((runStart - t0) / 1000).toFixed(1)}s; running for ${duration}s`);
  let stopping = false;
  const finish = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    const { stats } = await fleet.stop();
    console.log(`\n=== simulation summary (${agents} agents, ${processes} process(es), ${((Date.now() - runStart) / 1000).toFixed(0)}s) ===`);
    console.log(formatSummary(stats, (Date.now() - runStart) / 1000));
    process.exit(0);
  };
  process.on('SIGINT', () => void finish());
  setTimeout(() => void finish(), duration * 1000);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error('simulate:', (e as Error).message);
    process.exit(1);
  });
}
