import { describe, expect, it } from 'vitest';
import { chooseRelease, compareVersions, type AgentTarget } from './release-choice.js';
import { inRollout } from './updates.js';

const t = (version: string, channel: 'stable' | 'beta' = 'stable', target = 'linux-x64'): AgentTarget => ({ path: `agent/${version}/${target}/posture-agent`, version, channel, target });
const base = { target: 'linux-x64', current: '1.0.0', deviceId: 'dev_a' };

describe('release choice', () => {
  it('orders versions numerically, a prerelease before its release', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('2.0.0-rc.1', '2.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
  });
  it('takes the highest stable release for this target; beta only on the beta channel', () => {
    const ts = [t('1.1.0'), t('1.2.0', 'beta'), t('9.0.0', 'stable', 'win-x64')];
    expect(chooseRelease(ts, { ...base, rollout: {} })).toMatchObject({ action: 'update', to: { version: '1.1.0' } });
    expect(chooseRelease(ts, { ...base, rollout: { channel: 'beta' } })).toMatchObject({ action: 'update', to: { version: '1.2.0' } });
  });
  it('never moves when paused, honours a pin (even downwards), and stays up to date', () => {
    const ts = [t('0.9.0'), t('1.1.0')];
    expect(chooseRelease(ts, { ...base, rollout: { paused: true } }).action).toBe('stay');
    expect(chooseRelease(ts, { ...base, rollout: { pinnedVersion: '0.9.0' } })).toMatchObject({ action: 'update', to: { version: '0.9.0' } });
    expect(chooseRelease([t('1.0.0')], { ...base, rollout: {} }).action).toBe('stay');
  });
  it('staged percentage: stable per device, about N % of a fleet, 0 % nobody', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `dev_${i}`);
    const n = ids.filter((id) => inRollout(id, 10)).length;
    expect(n).toBeGreaterThan(140);
    expect(n).toBeLessThan(260);
    expect(ids.filter((id) => inRollout(id, 10)).every((id) => inRollout(id, 50))).toBe(true);
    expect(chooseRelease([t('1.1.0')], { ...base, rollout: { percentage: 0 } }).action).toBe('stay');
  });
});
