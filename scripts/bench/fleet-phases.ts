/**
 * Benchmark phases that need a connected fleet: connections held (RSS), check-now round
 * trip, and the reconnect storm (collector killed and restarted under a connected fleet).
 */
import type pg from 'pg';
import { Fleet } from '../simulate/fleet.js';
import { api, pct, round, rssMiB, sleep, type CollectorProc } from './collector-proc.js';

export interface ConnectResult {
  agents: number;
  connected: number;
  rampSeconds: number;
  collectorRssMiB: number;
  collectorRssIdleMiB: number;
  healthzMs: number;
}

export async function holdConnections(fleet: Fleet, c: CollectorProc, n: number, rssIdle: number, timeoutMs: number): Promise<ConnectResult> {
  const t0 = Date.now();
  await fleet.until((s) => s.connected >= n, timeoutMs, `${n} connected agents`).catch((e) => console.error(`  ${(e as Error).message}`));
  const rampSeconds = (Date.now() - t0) / 1000;
  await sleep(5_000); // let welcome bursts and first reports settle before reading RSS
  const h0 = performance.now();
  await fetch(`${c.url}/healthz`);
  return { agents: n, connected: fleet.stats.connected, rampSeconds: round(rampSeconds), collectorRssMiB: round(rssMiB(c.pid)), collectorRssIdleMiB: round(rssIdle), healthzMs: round(performance.now() - h0) };
}

export interface CheckNowResult {
  commands: number;
  completed: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** API call → agent answers with a check-now report → command's completed_at is set. */
export async function checkNowRoundTrip(url: string, deviceIds: string[], count: number, concurrency: number): Promise<CheckNowResult> {
  const rtts: number[] = [];
  let next = 0;
  const one = async () => {
    while (next < count) {
      next++;
      const dev = deviceIds[Math.floor(Math.random() * deviceIds.length)];
      const t0 = performance.now();
      const r = await api(url, `/api/v1/devices/${dev}/check-now`, { method: 'POST', body: '{}' });
      if (r.status !== 202) continue;
      const cmd = r.body.commandId as string;
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const s = await api(url, `/api/v1/devices/${dev}/commands/${cmd}`);
        if (s.body?.completed_at) {
          rtts.push(performance.now() - t0);
          break;
        }
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return { commands: count, completed: rtts.length, concurrency, p50Ms: round(pct(rtts, 50)), p99Ms: round(pct(rtts, 99)), maxMs: round(pct(rtts, 100)) };
}

export interface StormResult {
  agents: number;
  downSeconds: number;
  reconnectSeconds: number;
  reconnectedAll: boolean;
  healthzP50Ms: number;
  healthzP99Ms: number;
  healthzMaxMs: number;
  healthzFailures: number;
  acked: number;
  ackedStored: number;
  duplicatesInDb: number;
}

/**
 * Kill the collector (SIGKILL: no goodbye, in-flight reports unacked), restart it, and time
 * until every agent is connected again while probing /healthz. Then check every report the
 * fleet saw acked is stored exactly once.
 */
export async function reconnectStorm(
  fleet: Fleet,
  c: CollectorProc,
  restart: () => Promise<CollectorProc>,
  n: number,
  timeoutMs: number,
): Promise<{ result: Omit<StormResult, 'acked' | 'ackedStored' | 'duplicatesInDb'>; collector: CollectorProc }> {
  await c.stop('SIGKILL');
  const tDown = Date.now();
  await fleet.until((s) => s.connected === 0, 30_000, 'all sockets to notice the kill').catch(() => {});
  const c2 = await restart();
  const tUp = Date.now();
  const lat: number[] = [];
  let failures = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${c2.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        if (!r.ok) failures++;
        await r.arrayBuffer();
      } catch {
        failures++;
      }
      lat.push(performance.now() - t0);
      await sleep(200);
    }
  })();
  let all = true;
  await fleet.until((s) => s.connected >= n, timeoutMs, 'reconnect').catch(() => (all = false));
  const reconnectSeconds = (Date.now() - tUp) / 1000;
  probing = false;
  await prober;
  return {
    collector: c2,
    result: {
      agents: n,
      downSeconds: round((tUp - tDown) / 1000),
      reconnectSeconds: round(reconnectSeconds),
      reconnectedAll: all,
      healthzP50Ms: round(pct(lat, 50)),
      healthzP99Ms: round(pct(lat, 99)),
      healthzMaxMs: round(pct(lat, 100)),
      healthzFailures: failures,
    },
  };
}

/** Every acked id stored exactly once (report_id is the primary key; count what matches). */
export async function verifyAcked(client: pg.Pool, ackedIds: string[]): Promise<{ acked: number; ackedStored: number; duplicatesInDb: number }> {
  const unique = [...new Set(ackedIds)];
  let stored = 0;
  let dup = 0;
  for (let k = 0; k < unique.length; k += 10_000) {
    const chunk = unique.slice(k, k + 10_000);
    const r = await client.query('SELECT count(*) AS n, count(*) - count(DISTINCT report_id) AS d FROM reports WHERE report_id = ANY($1::text[])', [chunk]);
    stored += Number(r.rows[0].n);
    dup += Number(r.rows[0].d);
  }
  return { acked: unique.length, ackedStored: stored, duplicatesInDb: dup };
}
