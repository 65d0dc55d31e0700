/**
 * npm run build:agent [-- --target linux-x64,linux-arm64,win-x64,darwin-arm64,darwin-x64]
 *                     [--version X.Y.Z] [--out DIR] [--tuf-root root.json] [--entry FILE]
 *
 * One single-executable agent per target, all from this machine:
 *  1. esbuild bundles agent/src/cli/main.ts (and every lazily imported command) into one
 *     CommonJS file: a Node single executable runs its main script as CommonJS and can only
 *     require() built-in modules. The version and, when given, the update framework's initial
 *     trusted root (agent/src/update/trust-root.ts) are compiled in.
 *  2. This machine's node writes the SEA blob once. The blob is portable between platforms
 *     (no code cache, no snapshot) but must come from the same Node release as the runtime,
 *     so every target's runtime is the pinned release (package.json "posture.nodeVersion").
 *  3. Each target's runtime (npm registry package, scripts/build/runtimes.ts) is copied and
 *     the blob injected with postject (Mach-O: into segment NODE_SEA).
 *  4. Per artefact: SHA-256 and manifest.json {name, version, commit, nodeVersion, target, ...}
 *     in DIR/<target>/; DIR/SHA256SUMS lists them all.
 * Without --target the host target is built and also copied to dist/posture-agent.
 *
 * macOS: the official runtime is code-signed and injection invalidates that signature. There
 * is no codesign on Linux, so the manifest says `"signature": "invalid-resign-required"` and
 * the artefact must be re-signed on a Mac before it runs there (docs/deploy.md: codesign
 * --force --sign "Developer ID Application: ..." posture-agent). Built on a Mac, it is done here.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePackaging } from './packaging.js';
import { ROOT, TARGETS, hostTarget, parseTargets, pinnedNodeVersion, type TargetName } from './targets.js';
import { nodeRuntime } from './runtimes.js';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildOptions {
  targets: TargetName[];
  /** Agent version compiled in (default: package.json version). */
  version?: string;
  outDir?: string;
  /** TUF root.json to compile in as the updater's initial trusted root. */
  tufRoot?: string;
  /** Entry point (default agent/src/cli/main.ts). */
  entry?: string;
  quiet?: boolean;
}

export interface BuildManifest {
  name: 'posture-agent';
  version: string;
  commit: string;
  nodeVersion: string;
  target: TargetName;
  file: string;
  size: number;
  sha256: string;
  runtimeSha256: string;
  builtAt: string;
  /** macOS only: whether the Mach-O signature must be redone on a Mac. */
  signature?: 'invalid-resign-required' | 'ad-hoc';
}

export const sha256File = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

function gitCommit(): string {
  try {
    const c = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${c}-dirty` : c;
  } catch {
    return 'unknown';
  }
}

export async function buildAgent(o: BuildOptions): Promise<BuildManifest[]> {
  const say = (m: string) => o.quiet || console.log(m);
  const nodeVersion = pinnedNodeVersion();
  if (process.version !== `v${nodeVersion}`)
    throw new Error(`the SEA blob must be made by the pinned Node release ${nodeVersion}, but this is node ${process.version}; run the build with node ${nodeVersion}`);
  const version = o.version ?? (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(version)) throw new Error(`--version ${version}: expected MAJOR.MINOR.PATCH[-prerelease]`);
  const out = resolve(o.outDir ?? join(ROOT, 'dist', 'agent'));
  const work = join(out, '.work');
  mkdirSync(work, { recursive: true });
  const tufRoot = o.tufRoot ? readFileSync(o.tufRoot, 'utf8') : undefined;
  if (tufRoot) JSON.parse(tufRoot); // a broken root file fails the build, not the first update

  const bundle = join(work, 'posture-agent.cjs');
  const t0 = Date.now();
  const r = await build({
    entryPoints: [o.entry ?? join(ROOT, 'agent', 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    minifySyntax: true,
    legalComments: 'none',
    define: { __POSTURE_AGENT_VERSION__: JSON.stringify(version), ...(tufRoot ? { __POSTURE_TUF_ROOT__: JSON.stringify(tufRoot) } : {}) },
    // systeminformation's optional macOS temperature sensor is a native module loaded in a
    // try/catch; it is never needed for inventory, so it stays out of the bundle.
    external: ['macos-temperature-sensor', 'osx-temperature-sensor'],
    // ws probes for optional native helpers with require() in a try block; inside a single
    // executable that prints a warning on every start. They are optional: switch the probes off.
    banner: { js: "process.env.WS_NO_BUFFER_UTIL ??= '1'; process.env.WS_NO_UTF_8_VALIDATE ??= '1';" },
    logLevel: 'warning',
    metafile: true,
  });
  say(`bundled ${Object.keys(r.metafile.inputs).length} modules (${(statSync(bundle).size / 1024).toFixed(0)} KiB) in ${Date.now() - t0} ms`);

  const blob = join(work, 'sea-prep.blob');
  const seaConfig = join(work, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false }, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'pipe' });

  const commit = gitCommit();
  const manifests: BuildManifest[] = [];
  for (const name of o.targets) {
    const t = TARGETS[name];
    const runtime = nodeRuntime(t, nodeVersion);
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, t.exeName);
    rmSync(exe, { force: true });
    copyFileSync(runtime, exe);
    chmodSync(exe, 0o755);
    const onMac = process.platform === 'darwin' && t.format === 'macho';
    if (onMac) execFileSync('codesign', ['--remove-signature', exe], { stdio: 'pipe' });
    const args = [join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE];
    if (t.format === 'macho') args.push('--macho-segment-name', 'NODE_SEA');
    const t1 = Date.now();
    execFileSync(process.execPath, args, { stdio: 'pipe' });
    if (onMac) execFileSync('codesign', ['--sign', '-', exe], { stdio: 'pipe' });
    const m: BuildManifest = {
      name: 'posture-agent',
      version,
      commit,
      nodeVersion,
      target: name,
      file: t.exeName,
      size: statSync(exe).size,
      sha256: sha256File(exe),
      runtimeSha256: sha256File(runtime),
      builtAt: new Date().toISOString(),
      ...(t.format === 'macho' ? { signature: onMac ? ('ad-hoc' as const) : ('invalid-resign-required' as const) } : {}),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    writeFileSync(join(dir, `${t.exeName}.sha256`), `${m.sha256}  ${t.exeName}\n`);
    manifests.push(m);
    say(`${name}: ${exe} ${(m.size / 1024 / 1024).toFixed(1)} MiB sha256 ${m.sha256} (injected in ${Date.now() - t1} ms)`);
  }
  writeFileSync(join(out, 'SHA256SUMS'), manifests.map((m) => `${m.sha256}  ${m.target}/${m.file}`).join('\n') + '\n');
  rmSync(work, { recursive: true, force: true });
  return manifests;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: { target: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' }, 'tuf-root': { type: 'string' }, entry: { type: 'string' } },
  });
  const targets = values.target ? parseTargets(values.target) : [hostTarget()];
  const ms = await buildAgent({ targets, version: values.version, outDir: values.out, tufRoot: values['tuf-root'], entry: values.entry });
  if (!values.target && !values.out) {
    // The historical single-file location for this machine (tests, quick start).
    const host = ms[0];
    const dst = join(ROOT, 'dist', host.file);
    copyFileSync(join(ROOT, 'dist', 'agent', host.target, host.file), dst);
    chmodSync(dst, 0o755);
    writePackaging();
    console.log(`single executable: ${dst}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  cli().catch((e) => {
    console.error('build:agent failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
