/**
 * Cross-target agent build: linux-x64 is built and run; linux-arm64 is built, its ELF header
 * and injected NODE_SEA_BLOB inspected, and run under qemu-user when installed. Windows and
 * macOS (slower to inject) are inspected the same way with POSTURE_TEST_ALL_TARGETS=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent, sha256File, type BuildManifest } from '../../scripts/build/agent.js';
import { inspectExecutable } from '../../scripts/build/inspect.js';
import { TARGETS, pinnedNodeVersion, type TargetName } from '../../scripts/build/targets.js';
import { nodeRuntime } from '../../scripts/build/runtimes.js';

const targets: TargetName[] = process.env.POSTURE_TEST_ALL_TARGETS ? ['linux-x64', 'linux-arm64', 'win-x64', 'darwin-arm64', 'darwin-x64'] : ['linux-x64', 'linux-arm64'];

describe('build:agent for several targets', () => {
  let out: string;
  let ms: BuildManifest[];
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'posture-build-'));
    ms = await buildAgent({ targets, version: '3.4.5', outDir: out, quiet: true });
  }, 300_000);
  afterAll(() => out && rmSync(out, { recursive: true, force: true }));

  it('writes a manifest with version, commit, Node version, target and the file SHA-256', () => {
    for (const m of ms) {
      const file = join(out, m.target, m.file);
      expect(JSON.parse(readFileSync(join(out, m.target, 'manifest.json'), 'utf8'))).toEqual(m);
      expect(m).toMatchObject({ version: '3.4.5', nodeVersion: pinnedNodeVersion(), target: m.target });
      expect(m.commit).toMatch(/^[0-9a-f]{40}/);
      expect(m.sha256).toBe(sha256File(file));
    }
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8').trim().split('\n')).toHaveLength(ms.length);
  });

  it('each artefact has its platform header and the injected SEA blob; the bare runtime has not', () => {
    for (const m of ms) {
      const t = TARGETS[m.target];
      const i = inspectExecutable(join(out, m.target, m.file), ['posture-agent <command>']);
      expect(i, m.target).toMatchObject({ format: t.format, machine: t.machine, seaResource: true, fuseFlipped: true, contains: { 'posture-agent <command>': true } });
      const bare = inspectExecutable(nodeRuntime(t, m.nodeVersion), ['posture-agent <command>']);
      expect(bare.fuseFlipped || bare.contains['posture-agent <command>'], m.target).toBe(false);
    }
  });

  it('the linux-x64 binary runs and prints its version', () => {
    const r = spawnSync(join(out, 'linux-x64', 'posture-agent'), ['--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('3.4.5');
  });

  it.skipIf(!existsSync('/usr/bin/qemu-aarch64') || !existsSync('/usr/aarch64-linux-gnu/lib'))('the linux-arm64 binary prints its version under qemu-user', () => {
    const r = spawnSync('/usr/bin/qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', join(out, 'linux-arm64', 'posture-agent'), '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim(), r.stderr).toBe('3.4.5');
  }, 70_000);
});
