/**
 * npm run build:agent [-- --target linux-x64,linux-arm64,win-x64,darwin-arm64,darwin-x64]
 *                     [--version X.Y.Z] [--out DIR] [--tuf-root root.json] [--entry FILE]
 *
 * One single-executable agent per target, all from this machine:
 * esbuild bundles agent/src/cli/main.ts (and every lazily imported command) and the SEA blob
 * is injected into each target's Node runtime (scripts/build/sea.ts, shared with the verifier
 * build). The version and, when given, the update framework's initial trusted root
 * (agent/src/update/trust-root.ts) are compiled in. Per artefact: SHA-256 and manifest.json in
 * DIR/<target>/; DIR/SHA256SUMS lists them all.
 * Without --target the host target is built and also copied to dist/posture-agent.
 *
 * macOS: the official runtime is code-signed and injection invalidates that signature. There
 * is no codesign on Linux, so the manifest says `"signature": "invalid-resign-required"` and
 * the artefact must be re-signed on a Mac before it runs there (docs/deploy.md: codesign
 * --force --sign "Developer ID Application: ..." posture-agent). Built on a Mac, it is done here.
 */
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePackaging } from './packaging.js';
import { buildSea, buildVersion as buildVersionOf, type SeaManifest } from './sea.js';
import { ROOT, hostTarget, parseTargets, type TargetName } from './targets.js';

export { sha256File } from './sea.js';

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

/** manifest.json beside each agent artefact (scripts/build/sea.ts). */
export type BuildManifest = SeaManifest;

export async function buildAgent(o: BuildOptions): Promise<BuildManifest[]> {
  const tufRoot = o.tufRoot ? readFileSync(o.tufRoot, 'utf8') : undefined;
  if (tufRoot) JSON.parse(tufRoot); // a broken root file fails the build, not the first update
  return buildSea({
    name: 'posture-agent',
    entry: o.entry ?? join(ROOT, 'agent', 'src', 'cli', 'main.ts'),
    targets: o.targets,
    version: o.version,
    outDir: o.outDir ?? join(ROOT, 'dist', 'agent'),
    quiet: o.quiet,
    define: { __POSTURE_AGENT_VERSION__: JSON.stringify(buildVersionOf(o.version)), ...(tufRoot ? { __POSTURE_TUF_ROOT__: JSON.stringify(tufRoot) } : {}) },
    // systeminformation's optional macOS temperature sensor is a native module loaded in a
    // try/catch; it is never needed for inventory, so it stays out of the bundle.
    external: ['macos-temperature-sensor', 'osx-temperature-sensor'],
    // ws probes for optional native helpers with require() in a try block; inside a single
    // executable that prints a warning on every start. They are optional: switch the probes off.
    banner: "process.env.WS_NO_BUFFER_UTIL ??= '1'; process.env.WS_NO_UTF_8_VALIDATE ??= '1';",
  });
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
