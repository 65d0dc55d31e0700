/**
 * Collector operations surface: the OpenAPI document and /docs page generated from the
 * routes' schemas, and the Prometheus metrics an operator scrapes (connected agents,
 * reports acked, ack latency histogram, devices by state) after real agent traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, ENROLL_SECRET, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';
import { Fleet } from '../../scripts/simulate/fleet.js';

describe('collector ops: /docs and /metrics', () => {
  let c: TestCollector;
  let fleet: Fleet | null = null;
  beforeAll(async () => {
    c = await startTestCollector('pglite');
  }, 120_000);
  afterAll(async () => {
    await fleet?.stop();
    await c?.cleanup();
  });

  it('serves an OpenAPI 3 document built from the route schemas, without authentication', async () => {
    const r = await c.api('/docs/openapi.json', { token: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    const list = r.body.paths['/api/v1/devices']?.get;
    expect(list['x-posture-auth']).toEqual(expect.arrayContaining(['admin', 'helpdesk', 'auditor']));
    expect(list.security).toEqual([{ bearer: [] }]);
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['state', 'sort', 'limit']));
    const enroll = r.body.paths['/agent/v1/enroll']?.post;
    expect(enroll['x-posture-auth']).toBe('public');
    expect(enroll.requestBody.content['application/json'].schema.properties.secret.maxLength).toBe(256);
    // Dashboard pages are not API: left out.
    expect(Object.keys(r.body.paths).every((p) => /^\/(api|agent|healthz|metrics|\.well-known)/.test(p))).toBe(true);
  });

  it('renders /docs as HTML listing the operations', async () => {
    const res = await fetch(`${c.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const text = await res.text();
    expect(text).toContain('/api/v1/devices/{id}/check-now');
    expect(text).not.toContain('<script');
  });

  it('exposes connected agents, acked reports, ack latency and device states in /metrics', async () => {
    fleet = await Fleet.start({ server: c.url, secret: ENROLL_SECRET, agents: 3, intervalSec: 1, processes: 1, sourceIps: [] });
    await fleet.until((s) => s.acked >= 6, 60_000, 'six acked reports');
    const text = await waitFor(async () => {
      const r = await c.api<string>('/metrics');
      return /posture_agents_connected 3/.test(r.body) ? r.body : null;
    }, 10_000);
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('posture_reports_acked_total')).toBeGreaterThanOrEqual(6);
    expect(value('posture_report_ack_latency_ms_count')).toBeGreaterThanOrEqual(6);
    expect(text).toMatch(/posture_report_ack_latency_ms_bucket\{le="\+Inf"\} \d+/);
    const states = [...text.matchAll(/^posture_devices\{state="(\w+)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[2]), 0);
    expect(states).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
