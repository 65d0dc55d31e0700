/**
 * Target listing and `custom.uncompressed` checks over targets.json entries shaped as
 * server/src/updates/repo.ts addRelease signs them (test/update/compressed-target.test.ts reads
 * a real one).
 */
import { describe, expect, it } from 'vitest';
import { AGENT_GZIP_KIND, AGENT_KIND, listAgentTargets, MAX_UNCOMPRESSED_BYTES, parseUncompressed } from './agent-targets.js';

const H = 'a'.repeat(64);
const signed = {
  'agent/1.0.0/linux-x64/posture-agent': { custom: { kind: AGENT_KIND, version: '1.0.0', channel: 'stable', target: 'linux-x64' } },
  'agent/1.1.0/linux-x64/posture-agent': { custom: { kind: AGENT_KIND, version: '1.1.0', channel: 'beta', target: 'linux-x64' } },
  'agent/1.1.0/linux-x64/posture-agent.gz': { custom: { kind: AGENT_GZIP_KIND, version: '1.1.0', channel: 'beta', target: 'linux-x64', encoding: 'gzip', uncompressed: { length: 10, sha256: H } } },
  'agent/1.1.0/win-x64/posture-agent.exe.gz': { custom: { kind: AGENT_GZIP_KIND, version: '1.1.0', channel: 'stable', target: 'win-x64' } },
  'other/file': { custom: { kind: 'something-else', version: '9.0.0', target: 'linux-x64' } },
  'agent/broken': { custom: { kind: AGENT_KIND, version: 3 } },
  'agent/none': {},
};

describe('listAgentTargets', () => {
  it('prefers the gzip entry of a (version, target) and marks it', () => {
    const l = listAgentTargets(signed, { acceptGzip: true }).sort((a, b) => a.path.localeCompare(b.path));
    expect(l).toEqual([
      { path: 'agent/1.0.0/linux-x64/posture-agent', version: '1.0.0', target: 'linux-x64', channel: 'stable' },
      { path: 'agent/1.1.0/linux-x64/posture-agent.gz', version: '1.1.0', target: 'linux-x64', channel: 'beta', encoding: 'gzip' },
      { path: 'agent/1.1.0/win-x64/posture-agent.exe.gz', version: '1.1.0', target: 'win-x64', channel: 'stable', encoding: 'gzip' },
    ]);
  });

  it('without gzip support lists only executables (what older agents see)', () => {
    expect(listAgentTargets(signed, { acceptGzip: false }).map((t) => t.path).sort()).toEqual(['agent/1.0.0/linux-x64/posture-agent', 'agent/1.1.0/linux-x64/posture-agent']);
  });
});

describe('parseUncompressed', () => {
  it('accepts a length and a lowercase SHA-256 and names what is wrong otherwise', () => {
    expect(parseUncompressed({ uncompressed: { length: 10, sha256: H } })).toEqual({ ok: true, value: { length: 10, sha256: H } });
    expect(parseUncompressed({})).toMatchObject({ ok: false, reason: 'custom.uncompressed is missing' });
    expect(parseUncompressed(undefined)).toMatchObject({ ok: false, reason: 'custom.uncompressed is missing' });
    expect(parseUncompressed({ uncompressed: { length: 10 } })).toMatchObject({ ok: false, reason: expect.stringMatching(/sha256 is missing/) });
    expect(parseUncompressed({ uncompressed: { length: 10, sha256: H.toUpperCase() } })).toMatchObject({ ok: false });
    expect(parseUncompressed({ uncompressed: { sha256: H } })).toMatchObject({ ok: false, reason: expect.stringMatching(/length is missing/) });
    expect(parseUncompressed({ uncompressed: { length: 0, sha256: H } })).toMatchObject({ ok: false });
    expect(parseUncompressed({ uncompressed: { length: 1.5, sha256: H } })).toMatchObject({ ok: false });
    expect(parseUncompressed({ uncompressed: { length: MAX_UNCOMPRESSED_BYTES + 1, sha256: H } })).toMatchObject({ ok: false });
    expect(parseUncompressed({ uncompressed: { length: '10', sha256: H } })).toMatchObject({ ok: false });
  });
});
