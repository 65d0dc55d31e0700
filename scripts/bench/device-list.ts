/** The dashboard's device-list query over HTTP at 20,000 devices, as an operator pages it. */
import { api, pct, round } from './collector-proc.js';

export interface DeviceListResult {
  devices: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  byQuery: { query: string; p50Ms: number; p95Ms: number }[];
}

const QUERIES = [
  'limit=50&sort=hostname',
  'limit=50&sort=last_seen&order=desc',
  'limit=50&sort=state&state=noncompliant',
  'limit=50&sort=deadline&state=failing',
  'limit=50&sort=os&state=compliant',
  'limit=50&sort=hostname&state=stale&order=desc',
];
/** A deep page (OFFSET 10,000 must skip rows): reported apart, it is not what an operator pages through. */
const DEEP = 'limit=50&sort=owner&offset=10000';

export async function deviceListLatency(url: string, devices: number, rounds: number): Promise<DeviceListResult> {
  const all: number[] = [];
  const byQuery: DeviceListResult['byQuery'] = [];
  for (const q of QUERIES) {
    const lat: number[] = [];
    await api(url, `/api/v1/devices?${q}`); // warm the plan cache
    for (let k = 0; k < rounds; k++) {
      const t0 = performance.now();
      const r = await api(url, `/api/v1/devices?${q}`);
      if (r.status !== 200) throw new Error(`device list ${q}: HTTP ${r.status}`);
      lat.push(performance.now() - t0);
    }
    all.push(...lat);
    byQuery.push({ query: q, p50Ms: round(pct(lat, 50)), p95Ms: round(pct(lat, 95)) });
  }
  const deep: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = performance.now();
    await api(url, `/api/v1/devices?${DEEP}`);
    deep.push(performance.now() - t0);
  }
  byQuery.push({ query: `${DEEP} (not in the overall figure)`, p50Ms: round(pct(deep, 50)), p95Ms: round(pct(deep, 95)) });
  return { devices, requests: all.length, p50Ms: round(pct(all, 50)), p95Ms: round(pct(all, 95)), byQuery };
}
