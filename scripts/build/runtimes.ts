/**
 * Fetches a target's Node runtime from the npm registry (`npm pack <pkg>@<version>`, which
 * checks the tarball against the registry's integrity hash) into a cache directory and
 * extracts its node executable once. A warm cache needs no network.
 *
 * Cache: $POSTURE_BUILD_CACHE or ~/.cache/posture-build.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './targets.js';

export function cacheDir(): string {
  return process.env.POSTURE_BUILD_CACHE ?? join(homedir(), '.cache', 'posture-build');
}

/** `npm pack` a package into the cache (once) and return the tarball path. */
export function npmPackCached(pkg: string, version: string): string {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `${pkg.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (existsSync(tgz)) return tgz;
  try {
    execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', dir], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message);
    const hint = /notarget|No matching version/.test(err) ? ` (${pkg} has no release ${version} on the npm registry)` : '';
    throw new Error(`npm pack ${pkg}@${version} failed${hint}: ${err.split('\n').find((l) => l.includes('error')) ?? err.slice(0, 300)}`);
  }
  if (!existsSync(tgz)) throw new Error(`npm pack ${pkg}@${version} did not write ${tgz}`);
  return tgz;
}

/** The target's node executable, extracted from its npm package (cached). */
export function nodeRuntime(target: Target, version: string): string {
  const out = join(cacheDir(), `${target.npmPackage}-${version}`, target.nodeInTarball.split('/').pop()!);
  if (existsSync(out)) return out;
  const tgz = npmPackCached(target.npmPackage, version);
  const tmp = `${out}.extract-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', tmp, target.nodeInTarball], { stdio: 'pipe' });
  chmodSync(join(tmp, target.nodeInTarball), 0o755);
  renameSync(join(tmp, target.nodeInTarball), out);
  rmSync(tmp, { recursive: true, force: true });
  return out;
}
