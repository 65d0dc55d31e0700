/** The compliance trend is rebuilt from state_events: known transitions on known days give known daily counts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { complianceTrend, compliantPct, trendSvg } from '../../server/src/dashboard/trend.js';

const DAY = 86_400_000;

describe('compliance trend from state events (pglite)', () => {
  let c: TestCollector;
  const now = new Date();
  const ago = (d: number, h = 0) => new Date(now.getTime() - d * DAY - h * 3_600_000);

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    const dev = (id: string, state: string, enrolled: Date) =>
      c.db.query(`INSERT INTO devices (id, fingerprint, hostname, platform, inventory, state, enrolled_at) VALUES ($1,$1,$1,'linux','{}',$2,$3)`, [id, state, enrolled]);
    const ev = (id: string, from: string, to: string, at: Date) =>
      c.db.query(`INSERT INTO state_events (device_id, check_id, from_state, to_state, at) VALUES ($1,'*',$2,$3,$4)`, [id, from, to, at]);
    // a: enrolled long ago, compliant since day 40, noncompliant 3 days ago.
    await dev('a', 'noncompliant', ago(60));
    await ev('a', 'unknown', 'compliant', ago(40));
    await ev('a', 'compliant', 'noncompliant', ago(3, 1));
    // b: enrolled 5 days ago, compliant the same moment, still compliant.
    await dev('b', 'compliant', ago(5, 2));
    await ev('b', 'unknown', 'compliant', ago(5, 1));
    // c: compliant all along, stale since yesterday.
    await dev('c', 'stale', ago(60));
    await ev('c', 'unknown', 'compliant', ago(50));
    await ev('c', 'compliant', 'stale', ago(1, 1));
  }, 60_000);
  afterAll(async () => c?.cleanup());

  it('walks back from today through each day', async () => {
    const t = await complianceTrend(c.db, 10, now);
    expect(t).toHaveLength(10);
    const at = (d: number) => t[t.length - 1 - d];
    // Day boundaries are UTC; transitions an hour+ before "now" may fall on the previous UTC day,
    // so compare with what the events imply for each day, via the day keys.
    const dayOf = (d: Date) => d.toISOString().slice(0, 10);
    expect(at(0).day).toBe(dayOf(now));
    expect(at(0).counts).toMatchObject({ compliant: 1, noncompliant: 1, stale: 1 });
    expect(at(0).total).toBe(3);
    // Ten days ago only a and c existed, both compliant.
    expect(at(9).counts).toMatchObject({ compliant: 2, noncompliant: 0, stale: 0, unknown: 0 });
    expect(at(9).total).toBe(2);
    // The day b enrolled it ends compliant: three compliant devices until a's change.
    const bDay = t.find((p) => p.day === dayOf(ago(5, 1)))!;
    expect(bDay.counts.compliant).toBe(3);
    expect(compliantPct(bDay)).toBe(100);
    const aDay = t.find((p) => p.day === dayOf(ago(3, 1)))!;
    expect(aDay.counts).toMatchObject({ compliant: 2, noncompliant: 1 });
    const svg = trendSvg(t).value;
    expect(svg).toContain('<svg');
    expect(svg).toContain('noncompliant</title>');
    expect(svg.match(/<polyline[^>]*points="([^"]+)"/)![1].split(' ')).toHaveLength(10);
  });
});
