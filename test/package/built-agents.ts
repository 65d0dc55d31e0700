/**
 * Agents for the package tests: dist/agent/<target> when it was built from exactly this
 * commit (clean tree), else a fresh build into DIR (a stale dist/ would test old code).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAgent, type BuildManifest } from '../../scripts/build/agent.js';
import type { TargetName } from '../../scripts/build/targets.js';
import { ROOT } from '../helpers/collector.js';

function headCommit(): string | null {
  try {
    const c = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? null : c;
  } catch {
    return null;
  }
}

/** The directory holding <target>/manifest.json for every target asked for. */
export async function agentsFor(targets: TargetName[], dir: string): Promise<{ agentDir: string; reused: boolean }> {
  const dist = join(ROOT, 'dist', 'agent');
  const commit = headCommit();
  const fresh = (t: TargetName) => {
    const mf = join(dist, t, 'manifest.json');
    return commit !== null && existsSync(mf) && (JSON.parse(readFileSync(mf, 'utf8')) as BuildManifest).commit === commit;
  };
  if (targets.every(fresh)) return { agentDir: dist, reused: true };
  await buildAgent({ targets, outDir: dir, quiet: true });
  return { agentDir: dir, reused: false };
}

/** A chroot-able scratch root: busybox as /bin/sh and the few tools the maintainer scripts use. */
export const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p)) ?? null;
export const ROOT_TOOLS = ['sh', 'mkdir', 'chown', 'chmod', 'grep', 'rm', 'rmdir', 'dirname', 'printf', 'echo', 'cat', 'id', 'ls', 'test', '['];
