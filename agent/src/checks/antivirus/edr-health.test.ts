/**
 * Issue 12 #2 and #9: an EDR counts only when its own tool confirms its health. Shapes:
 * `falconctl -g --aid --rfm-state` prints comma-separated `key=value` answers, `aid="<32 hex>"`
 * or `aid is not set`, `rfm-state=false.` (CrowdStrike's Linux sensor deployment guide; the
 * rfm-state line is also in the existing fixtures beside this file); `falconctl stats` key/value
 * sections (agentID, Sensor operational, Communications State) as in CrowdStrike's macOS docs;
 * sentinelctl's "Agent state", "Connectivity" and UUID fields as SentinelOne names them (no
 * capture was available: anything else is unknown); `mdatp health --output json` with
 * `definitionsStatus: {"$type": "upToDate"}` as current Defender versions print it, the rest of
 * the document being the Ubuntu 22.04 capture beside this file. All written for this issue.
 */
import { describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { DEFAULT_POLICY } from '../../../../shared/src/policy/default-policy.js';
import { judgeCheck } from '../../../../shared/src/policy/judge.js';
import { runOne } from '../registry.js';
import type { Collector } from '../types.js';
import type { BuiltinCheckId as CheckId } from '../../../../shared/src/checks/ids.js';
import { collectLinux } from './linux.js';
import { parseFalconctlGet, parseFalconStats, parseSentinelctl } from './parse-edr.js';
import { parseMdatpHealth } from './parse-mdatp.js';

const fx = (n: string) => fixture('antivirus', n);
const NOW = new Date('2024-04-20T12:00:00Z');
const procs = (comm: string, cmd: string) => ({ '/proc/700/comm': `${comm}\n`, '/proc/700/cmdline': cmd, '/proc/1/comm': 'systemd\n' });
const run = async (files: Record<string, string>, commands: NonNullable<Parameters<typeof fakeContext>[0]>['commands']) => {
  const r = await runOne('antivirus', collectLinux as Collector<CheckId>, fakeContext({ files, commands, now: NOW, elevated: true }));
  return { r, policy: judgeCheck(DEFAULT_POLICY, 'linux', r, NOW) };
};

describe('EDR health readers', () => {
  it('falconctl: registered and not in RFM is healthy; no aid, RFM or "not set" is not', () => {
    expect(parseFalconctlGet(fx('falconctl-g-aid-rfm-state.ubuntu22.ok.txt'))).toMatchObject({ healthy: true, agentId: '3c1f0e2d4b5a69788796a5b4c3d2e1f0' });
    expect(parseFalconctlGet(fx('falconctl-g-aid-rfm-state.rhel9.unregistered.txt'))).toMatchObject({ healthy: false, problems: [expect.stringContaining('never registered')] });
    expect(parseFalconctlGet(fx('falconctl-g-aid-rfm-state.rhel9.rfm.txt')).healthy).toBe(false);
    expect(parseFalconctlGet(fx('falconctl-g-aid-rfm-state.rhel9.rfm-not-set.txt'))).toMatchObject({ healthy: null, problems: [expect.stringContaining('not set')] });
    // Only the rfm-state answer (the old query): no agent id, so not confirmed.
    expect(parseFalconctlGet(fx('falconctl-rfm-state.ubuntu22.ok.txt')).healthy).toBeNull();
  });
  it('falconctl stats (macOS): operational and connected only', () => {
    expect(parseFalconStats(fx('falconctl-stats.macos14.connected.txt')).healthy).toBe(true);
    expect(parseFalconStats(fx('falconctl-stats.macos14.disconnected.txt')).healthy).toBe(false);
  });
  it('sentinelctl: enabled, connected and with an id', () => {
    expect(parseSentinelctl(fx('sentinelctl-status.linux23.ok.txt')).healthy).toBe(true);
    expect(parseSentinelctl(fx('sentinelctl-status.linux23.disconnected.txt'))).toMatchObject({ healthy: false, problems: ['management connectivity off'] });
    expect(parseSentinelctl('Agent state: Enabled\n').healthy).toBeNull();
  });
  it('mdatp: definitionsStatus as {"$type": "upToDate"} (#9); an un-onboarded sensor is not confirmed', () => {
    expect(parseMdatpHealth(fx('mdatp-health.ubuntu24.definitions-type-object.json'), NOW)).toMatchObject({ definitionsUpToDate: true, onboarded: true });
    expect(parseMdatpHealth('{"healthy":true,"definitionsStatus":{"$type":"outOfDate"}}', NOW)?.definitionsUpToDate).toBe(false);
    expect(parseMdatpHealth(fx('mdatp-health.ubuntu24.not-onboarded.json'), NOW)?.onboarded).toBe(false);
  });
});

describe('EDR verdicts through the Linux collector', () => {
  const falcon = procs('falcon-sensor', '/opt/CrowdStrike/falcon-sensor');
  it('CrowdStrike running but never registered: fail; RFM "not set": unknown with the command; registered: pass', async () => {
    const unreg = await run(falcon, { falconctl: fail('failed', fx('falconctl-g-aid-rfm-state.rhel9.unregistered.txt')) });
    expect(unreg.r.status).toBe('fail');
    expect(unreg.policy.verdict).toBe('fail');
    const notSet = await run(falcon, { falconctl: ok(fx('falconctl-g-aid-rfm-state.rhel9.rfm-not-set.txt')) });
    expect(notSet.r).toMatchObject({ status: 'unknown', summary: expect.stringContaining('falconctl -g --aid --rfm-state') });
    expect(notSet.policy.verdict).toBe('unknown');
    expect((await run(falcon, { falconctl: ok(fx('falconctl-g-aid-rfm-state.ubuntu22.ok.txt')) })).policy.verdict).toBe('pass');
  });
  it('SentinelOne by process only: unknown (was pass); confirmed by sentinelctl: pass; disconnected: fail', async () => {
    const s1 = procs('s1-agent', '/opt/sentinelone/bin/s1-agent');
    const only = await run(s1, {});
    expect(only.r.status).toBe('unknown');
    expect(only.policy).toMatchObject({ verdict: 'unknown', reasons: [expect.stringContaining('sentinelctl')] });
    const okCtl = (args: string[]) => ok(args[0] === 'control' ? fx('sentinelctl-status.linux23.ok.txt').split('Agent UUID')[0] : `Agent UUID${fx('sentinelctl-status.linux23.ok.txt').split('Agent UUID')[1]}`);
    expect((await run(s1, { sentinelctl: okCtl })).policy.verdict).toBe('pass');
    const offCtl = (args: string[]) => ok(args[0] === 'control' ? 'Agent state: Enabled\n' : fx('sentinelctl-status.linux23.disconnected.txt'));
    expect((await run(s1, { sentinelctl: offCtl })).policy.verdict).toBe('fail');
  });
  it('Defender onboarded and healthy with the $type definitions shape: pass; not onboarded: fail', async () => {
    const mde = procs('wdavdaemon', '/opt/microsoft/mdatp/sbin/wdavdaemon');
    expect((await run(mde, { mdatp: ok(fx('mdatp-health.ubuntu24.definitions-type-object.json')) })).policy.verdict).toBe('pass');
    expect((await run(mde, { mdatp: ok(fx('mdatp-health.ubuntu24.not-onboarded.json')) })).policy.verdict).toBe('fail');
  });
  it('Elastic Defend by process only: unknown, naming its status command', async () => {
    const el = await run(procs('elastic-endpoin', '/opt/Elastic/Endpoint/elastic-endpoint'), {});
    expect(el.r).toMatchObject({ status: 'unknown', summary: expect.stringContaining('elastic-endpoint status') });
  });
});
