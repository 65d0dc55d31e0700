/** Period arithmetic: edges, report gaps, exclusions, enrolment and revocation mid-period. */
import { describe, expect, it } from 'vitest';
import { deviceHistory, reportRunsFromTimes, type HistEvent, type HistoryInput } from '#shared/evidence/history.js';
import { bucketEdges, parsePeriod } from '#shared/evidence/period.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const H = 3_600_000;
const at = (h: number) => new Date(T0 + h * H);
const ev = (checkId: string, toState: string, h: number): HistEvent => ({ checkId, toState, at: at(h) });
/** A report every hour over [a, b] hours. */
const hourly = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => at(a + i));

function base(over: Partial<HistoryInput> = {}): HistoryInput {
  return {
    from: at(0),
    to: at(100),
    enrolledAt: at(-1000),
    staleAfterHours: 24,
    checkIds: ['fw'],
    events: [ev('fw', 'pass', -10)],
    reportRuns: reportRunsFromTimes(hourly(-10, 100), 24),
    exclusions: [],
    ...over,
  };
}

describe('deviceHistory', () => {
  it('counts a check passing all period as 100% and keeps the state from before the period', () => {
    const h = deviceHistory(base());
    expect(h.measuredSeconds).toBe(100 * 3600);
    expect(h.checks.fw.compliantPct).toBe(100);
    expect(h.checks.fw.seconds.pass).toBe(100 * 3600);
    expect(h.overall.compliantPct).toBe(100);
    expect(h.checks.fw.stateAtEnd).toBe('pass');
  });

  it('splits at state events exactly on the edges (from inclusive, to exclusive)', () => {
    const h = deviceHistory(base({ events: [ev('fw', 'pass', -10), ev('fw', 'failing', 0), ev('fw', 'pass', 25), ev('fw', 'noncompliant', 100)], keepSegments: true }));
    expect(h.checks.fw.seconds.failing).toBe(25 * 3600);
    expect(h.checks.fw.seconds.pass).toBe(75 * 3600);
    expect(h.checks.fw.seconds.noncompliant).toBe(0); // the event at `to` is outside [from, to)
    expect(h.checks.fw.compliantPct).toBe(75);
    expect(h.checks.fw.withinPolicyPct).toBe(100);
    expect(h.checks.fw.segments!.map((s) => s.state)).toEqual(['failing', 'pass']);
    expect(h.checks.fw.remediations).toEqual([{ failedAt: at(0).toISOString(), fixedAt: at(25).toISOString(), seconds: 25 * 3600, reachedNoncompliant: false }]);
    expect(h.checks.fw.firstFailureAt).toBe(at(0).toISOString());
  });

  it('counts a gap longer than staleAfterHours as unknown, starting staleAfterHours after the last report', () => {
    // reports until h10, then nothing until h60: covered to h34, unknown h34..h60
    const runs = reportRunsFromTimes([...hourly(-10, 10), ...hourly(60, 100)], 24);
    expect(runs).toHaveLength(2);
    const h = deviceHistory(base({ reportRuns: runs }));
    expect(h.checks.fw.seconds.unknown).toBe(26 * 3600);
    expect(h.checks.fw.seconds.pass).toBe(74 * 3600);
    expect(h.checks.fw.compliantPct).toBe(74);
    expect(h.overall.seconds.unknown).toBe(26 * 3600);
    expect(h.overall.compliantPct).toBe(74);
  });

  it('a gap of exactly the stale threshold is still covered', () => {
    const h = deviceHistory(base({ reportRuns: reportRunsFromTimes([at(-1), at(23), at(47), at(71), at(95)], 24) }));
    expect(h.checks.fw.seconds.unknown).toBe(0);
  });

  it('a device with no reports at all is unknown throughout, not compliant', () => {
    const h = deviceHistory(base({ reportRuns: [] }));
    expect(h.checks.fw.compliantPct).toBe(0);
    expect(h.overall.seconds.unknown).toBe(100 * 3600);
  });

  it('reports excluded time separately and leaves it out of the denominator', () => {
    const h = deviceHistory(base({
      events: [ev('fw', 'pass', -10), ev('fw', 'failing', 50)],
      exclusions: [{ checkId: 'fw', from: at(50), to: at(75) }],
    }));
    // pass 0..50, excluded 50..75, failing 75..100
    expect(h.checks.fw.seconds.excluded).toBe(25 * 3600);
    expect(h.checks.fw.seconds.failing).toBe(25 * 3600);
    expect(h.checks.fw.compliantPct).toBe(Math.round((10000 * 50) / 75) / 100);
    expect(h.exclusionsInForce).toHaveLength(1);
    // overall: the only check excluded → device counted as excluded for that time
    expect(h.overall.seconds.excluded).toBe(25 * 3600);
  });

  it("a '*' exclusion excludes the whole device and every check", () => {
    const h = deviceHistory(base({ checkIds: ['fw', 'av'], events: [ev('fw', 'pass', -10), ev('av', 'noncompliant', -10)], exclusions: [{ checkId: '*', from: at(-50), to: at(40) }] }));
    expect(h.overall.seconds.excluded).toBe(40 * 3600);
    expect(h.overall.seconds.noncompliant).toBe(60 * 3600);
    expect(h.overall.compliantPct).toBe(0);
    expect(h.checks.av.seconds.excluded).toBe(40 * 3600);
    expect(h.checks.fw.compliantPct).toBe(100);
  });

  it('counts a device enrolled mid-period only from enrolment', () => {
    const h = deviceHistory(base({ enrolledAt: at(60), events: [ev('fw', 'pass', 60)], reportRuns: reportRunsFromTimes(hourly(60, 100), 24) }));
    expect(h.window).toEqual({ from: at(60).toISOString(), to: at(100).toISOString() });
    expect(h.measuredSeconds).toBe(40 * 3600);
    expect(h.checks.fw.compliantPct).toBe(100);
  });

  it('stops counting a device revoked mid-period', () => {
    const h = deviceHistory(base({ revokedAt: at(30), events: [ev('fw', 'pass', -10), ev('fw', 'failing', 20)] }));
    expect(h.measuredSeconds).toBe(30 * 3600);
    expect(h.checks.fw.seconds.failing).toBe(10 * 3600);
    // still failing when revoked: an open episode, not a remediation
    expect(h.checks.fw.remediations[0].fixedAt).toBeNull();
    expect(h.checks.fw.remediations[0].seconds).toBe(10 * 3600);
  });

  it('a device enrolled after the period or revoked before it has no window', () => {
    expect(deviceHistory(base({ enrolledAt: at(200) })).window).toBeNull();
    expect(deviceHistory(base({ revokedAt: at(-5) })).overall.compliantPct).toBeNull();
  });

  it('does not count the future', () => {
    const h = deviceHistory(base({ now: at(50) }));
    expect(h.measuredSeconds).toBe(50 * 3600);
  });

  it('time to remediate spans report gaps and starts before the period when the failure did', () => {
    const h = deviceHistory(base({ events: [ev('fw', 'failing', -5), ev('fw', 'noncompliant', 70), ev('fw', 'pass', 80)], reportRuns: reportRunsFromTimes([...hourly(-10, 10), ...hourly(70, 100)], 24) }));
    expect(h.checks.fw.remediations).toEqual([{ failedAt: at(-5).toISOString(), fixedAt: at(80).toISOString(), seconds: 85 * 3600, reachedNoncompliant: true }]);
    expect(h.checks.fw.seconds.unknown).toBe(36 * 3600); // 34..70
  });

  it('not_required time is out of the denominator; overall stays compliant', () => {
    const h = deviceHistory(base({ checkIds: ['fw', 'usb'], events: [ev('fw', 'pass', -10), ev('usb', 'not_required', -10)] }));
    expect(h.checks.usb.compliantPct).toBeNull();
    expect(h.checks.usb.seconds.not_required).toBe(100 * 3600);
    expect(h.overall.compliantPct).toBe(100);
  });

  it('fills chart buckets with compliant and measured seconds', () => {
    const h = deviceHistory(base({ events: [ev('fw', 'pass', -10), ev('fw', 'failing', 50)], bucketEdges: [at(0), at(50), at(100)] }));
    expect(h.buckets).toEqual([{ compliant: 50 * 3600, measured: 50 * 3600 }, { compliant: 0, measured: 50 * 3600 }]);
  });
});

describe('periods', () => {
  it('parses and rejects periods', () => {
    expect(parsePeriod('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z').ok).toBe(true);
    expect(parsePeriod('2026-02-01', '2026-01-01').ok).toBe(false);
    expect(parsePeriod('nope', '2026-01-01').ok).toBe(false);
    expect(parsePeriod('2020-01-01', '2026-01-01').ok).toBe(false);
  });
  it('daily buckets cover the period exactly', () => {
    const e = bucketEdges(new Date('2026-01-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'));
    expect(e).toHaveLength(91);
    expect(e[e.length - 1].toISOString()).toBe('2026-04-01T00:00:00.000Z');
  });
});
