/** Acceptance QA: `status --json` always prints JSON a script can parse, even before enrollment (exit 3). */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.js';
import { runAgentCli } from '../helpers/agent.js';

describe('posture-agent status --json when not enrolled', () => {
  it('prints {state: "not_enrolled", exitCode: 3} and exits 3', async () => {
    const dir = tempDir('qa-status-');
    const r = await runAgentCli(['status', '--json', '--state-dir', dir]);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ state: 'not_enrolled', exitCode: 3 });
    expect(r.stderr).toMatch(/not enrolled/);
  }, 60_000);
});

describe('posture-agent rejects unknown options', () => {
  it('a mistyped flag exits 2 naming it, instead of running with defaults', async () => {
    const r = await runAgentCli(['check', '--jsn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --jsn/);
    expect(r.stdout).toBe('');
  }, 60_000);
});

describe('posture-agent enroll --server without a scheme', () => {
  it('explains that the URL needs http:// or https:// (exit 1), instead of "Failed to parse URL"', async () => {
    const r = await runAgentCli(['enroll', '--server', '127.0.0.1:8080', '--secret', 'pst_enr_x', '--state-dir', tempDir('qa-enroll-')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must be the collector's URL starting with https:\/\/ or http:\/\//);
  }, 60_000);
});

describe('posture-agent check --root with a missing directory', () => {
  it('exits 2 naming it instead of reporting verdicts for nothing', async () => {
    const r = await runAgentCli(['check', '--root', '/nonexistent-posture-root']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--root \/nonexistent-posture-root: no such directory/);
    expect(r.stdout).toBe('');
  }, 60_000);
});
