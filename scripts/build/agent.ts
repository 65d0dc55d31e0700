/**
 * npm run build:agent: one executable file for this platform at dist/posture-agent.
 *  1. esbuild bundles agent/src/cli/main.ts (and every lazily imported command, since their
 *     paths are static) into one CommonJS file: a Node single-executable application runs its
 *     main script as CommonJS and can only require() built-in modules.
 *  2. Node writes the SEA blob (node --experimental-sea-config).
 *  3. A copy of this node binary gets the blob injected with postject.
 *  4. packaging/ service definitions are regenerated from agent/src/cli/service.ts.
 * No network access is needed: the node binary is the one running this script.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writePackaging } from './packaging.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist');
const WORK = join(OUT, 'agent');
const exe = join(OUT, process.platform === 'win32' ? 'posture-agent.exe' : 'posture-agent');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const bundle = join(WORK, 'posture-agent.cjs');
  const t0 = Date.now();
  const r = await build({
    entryPoints: [join(ROOT, 'agent', 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    minifySyntax: true,
    legalComments: 'none',
    // systeminformation's optional macOS temperature sensor is a native module loaded in a
    // try/catch; it is never needed for inventory, so it stays out of the bundle.
    external: ['macos-temperature-sensor', 'osx-temperature-sensor'],
    // ws probes for optional native helpers with require() in a try block; inside a single
    // executable that prints a warning on every start. They are optional: switch the probes off.
    banner: { js: "process.env.WS_NO_BUFFER_UTIL ??= '1'; process.env.WS_NO_UTF_8_VALIDATE ??= '1';" },
    logLevel: 'warning',
    metafile: true,
  });
  const inputs = Object.keys(r.metafile.inputs).length;
  console.log(`bundled ${inputs} modules into ${bundle} (${(statSync(bundle).size / 1024).toFixed(0)} KiB) in ${Date.now() - t0} ms`);

  const blob = join(WORK, 'sea-prep.blob');
  const seaConfig = join(WORK, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe], { stdio: 'inherit' });
  const postject = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  const args = [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE];
  if (process.platform === 'darwin') args.push('--macho-segment-name', 'NODE_SEA');
  execFileSync(process.execPath, args, { stdio: 'inherit' });
  // macOS refuses to run an unsigned modified binary: re-sign ad hoc (use a real identity for release).
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe], { stdio: 'inherit' });
  writePackaging();
  console.log(`single executable: ${exe} (${(statSync(exe).size / 1024 / 1024).toFixed(1)} MiB)`);
}

main().catch((e) => {
  console.error('build:agent failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
