/**
 * Single-executable builds shared by the agent (scripts/build/agent.ts) and the auditor's
 * verifier (scripts/build/verify.ts), so both are made the same way:
 *  1. esbuild bundles the entry point into one CommonJS file: a Node single executable runs
 *     its main script as CommonJS and can only require() built-in modules.
 *  2. This machine's runtime of the pinned release writes the SEA blob. The blob for other platforms is portable (no
 *     code cache, no snapshot); this machine's own target gets one with a V8 code cache (see
 *     blobFor below). Either must come from the same Node release as the runtime, so every
 *     target's runtime is the pinned release (package.json "posture.nodeVersion").
 *  3. Each target's runtime (npm registry package, scripts/build/runtimes.ts) is copied and
 *     the blob injected with postject (Mach-O: into segment NODE_SEA).
 *  4. Per artefact: SHA-256 and manifest.json {name, version, commit, nodeVersion, target, ...}
 *     in OUT/<target>/; OUT/SHA256SUMS lists them all.
 *
 * macOS: the official runtime is code-signed and injection invalidates that signature. There
 * is no codesign on Linux, so the manifest says `"signature": "invalid-resign-required"` and
 * the artefact must be re-signed on a Mac before it runs there. Built on a Mac, it is done here.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, TARGETS, hostTarget, pinnedNodeVersion, type Target, type TargetName } from './targets.js';
import { nodeRuntime } from './runtimes.js';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SeaBuildOptions {
  /** Executable base name (`posture-agent`, `posture-verify`); `.exe` is added for Windows. */
  name: string;
  /** TypeScript entry point bundled as the executable's main script. */
  entry: string;
  targets: TargetName[];
  /** Version recorded in the manifest (default: package.json version); MAJOR.MINOR.PATCH[-pre]. */
  version?: string;
  /** Output directory (artefacts in OUT/<target>/). */
  outDir: string;
  /** esbuild `define` (compile-time constants, values already JSON-encoded). */
  define?: Record<string, string>;
  /** Modules left out of the bundle (optional native helpers loaded in try/catch). */
  external?: string[];
  /** JavaScript placed before the bundle. */
  banner?: string;
  quiet?: boolean;
}

/** manifest.json beside each artefact. Sizes in bytes, hashes hex SHA-256. */
export interface SeaManifest {
  name: string;
  version: string;
  /** git HEAD at build time, `-dirty` when tracked files were modified, `unknown` outside git. */
  commit: string;
  nodeVersion: string;
  target: TargetName;
  file: string;
  size: number;
  sha256: string;
  /** SHA-256 of the unmodified Node runtime the blob was injected into. */
  runtimeSha256: string;
  builtAt: string;
  /** macOS only: whether the Mach-O signature must be redone on a Mac. */
  signature?: 'invalid-resign-required' | 'ad-hoc';
}

export const sha256File = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** The executable's file name on a target. */
export const exeFileName = (name: string, t: Target): string => (t.format === 'pe' ? `${name}.exe` : name);

/** package.json version, or `v` after checking it is a semantic version. */
export function buildVersion(v?: string): string {
  const version = v ?? (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(version)) throw new Error(`--version ${version}: expected MAJOR.MINOR.PATCH[-prerelease]`);
  return version;
}

function gitCommit(): string {
  try {
    const c = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${c}-dirty` : c;
  } catch {
    return 'unknown';
  }
}

/**
 * Bundle, make the SEA blob and inject it into each target's runtime.
 * Errors: this machine is not a build target; esbuild, npm pack (runtime not on the registry) or postject fail.
 */
export async function buildSea(o: SeaBuildOptions): Promise<SeaManifest[]> {
  const say = (m: string) => o.quiet || console.log(m);
  const nodeVersion = pinnedNodeVersion();
  // The blob must be made by the release that runs it: this machine's runtime of the pinned
  // release, not the node running this script (the repository's tooling may run on another).
  const blobMaker = nodeRuntime(TARGETS[hostTarget()], nodeVersion);
  const version = buildVersion(o.version);
  const out = resolve(o.outDir);
  const work = join(out, '.work');
  mkdirSync(work, { recursive: true });

  const bundle = join(work, `${o.name}.cjs`);
  const t0 = Date.now();
  const r = await build({
    entryPoints: [o.entry],
    bundle: true,
    platform: 'node',
    target: `node${nodeVersion.split('.')[0]}`,
    format: 'cjs',
    outfile: bundle,
    minifySyntax: true,
    legalComments: 'none',
    define: o.define ?? {},
    external: o.external ?? [],
    ...(o.banner ? { banner: { js: o.banner } } : {}),
    logLevel: 'warning',
    metafile: true,
  });
  say(`bundled ${Object.keys(r.metafile.inputs).length} modules (${(statSync(bundle).size / 1024).toFixed(0)} KiB) in ${Date.now() - t0} ms`);

  // Two blobs at most: the portable one (no code cache) for other platforms, and for this
  // machine's own target one with V8's code cache of the main script. The cache is made by this
  // node for this platform; V8 rejects a cache from another platform or flag set and compiles
  // normally, but there is no reason to ship bytes a target cannot use. Measured on linux-x64
  // (docs/benchmarks.md "Session 4"): about 35–40 ms less CPU per start (every probe-cycle child
  // starts the executable again) and 2–3 MiB less peak RSS.
  const blobs = new Map<boolean, string>();
  const blobFor = (withCache: boolean): string => {
    const hit = blobs.get(withCache);
    if (hit) return hit;
    const blob = join(work, withCache ? 'sea-prep-cache.blob' : 'sea-prep.blob');
    const seaConfig = join(work, withCache ? 'sea-config-cache.json' : 'sea-config.json');
    writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: withCache, useSnapshot: false }, null, 2));
    execFileSync(blobMaker, ['--experimental-sea-config', seaConfig], { stdio: 'pipe' });
    blobs.set(withCache, blob);
    return blob;
  };
  const host = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;

  const commit = gitCommit();
  const manifests: SeaManifest[] = [];
  for (const name of o.targets) {
    const t = TARGETS[name];
    const file = exeFileName(o.name, t);
    const runtime = nodeRuntime(t, nodeVersion);
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, file);
    rmSync(exe, { force: true });
    copyFileSync(runtime, exe);
    chmodSync(exe, 0o755);
    const onMac = process.platform === 'darwin' && t.format === 'macho';
    if (onMac) execFileSync('codesign', ['--remove-signature', exe], { stdio: 'pipe' });
    const blob = blobFor(name === host);
    const args = [join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE];
    if (t.format === 'macho') args.push('--macho-segment-name', 'NODE_SEA');
    const t1 = Date.now();
    execFileSync(process.execPath, args, { stdio: 'pipe' });
    if (onMac) execFileSync('codesign', ['--sign', '-', exe], { stdio: 'pipe' });
    const m: SeaManifest = {
      name: o.name,
      version,
      commit,
      nodeVersion,
      target: name,
      file,
      size: statSync(exe).size,
      sha256: sha256File(exe),
      runtimeSha256: sha256File(runtime),
      builtAt: new Date().toISOString(),
      ...(t.format === 'macho' ? { signature: onMac ? ('ad-hoc' as const) : ('invalid-resign-required' as const) } : {}),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    writeFileSync(join(dir, `${file}.sha256`), `${m.sha256}  ${file}\n`);
    manifests.push(m);
    say(`${name}: ${exe} ${(m.size / 1024 / 1024).toFixed(1)} MiB sha256 ${m.sha256} (injected in ${Date.now() - t1} ms)`);
  }
  writeFileSync(join(out, 'SHA256SUMS'), manifests.map((m) => `${m.sha256}  ${m.target}/${m.file}`).join('\n') + '\n');
  rmSync(work, { recursive: true, force: true });
  return manifests;
}
