/**
 * npm run build:verify [-- --target linux-x64,win-x64,darwin-x64,linux-arm64] [--version X.Y.Z] [--out DIR]
 *
 * The auditor's verifier as one file per platform: scripts/evidence/verify.ts (the same entry
 * point as `npm run verify-evidence`, so every check added to the verifier ships in it) bundled
 * and injected into each target's Node runtime like the agent (scripts/build/sea.ts).
 * Output: DIR/<target>/posture-verify(.exe) with manifest.json and <file>.sha256, and
 * DIR/SHA256SUMS (default DIR: dist/verify). Without --target the host target is built.
 * Auditor's procedure: docs/verify-evidence.md.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSea, type SeaManifest } from './sea.js';
import { ROOT, hostTarget, parseTargets, type TargetName } from './targets.js';

export interface VerifyBuildOptions {
  targets: TargetName[];
  /** Version recorded in the manifests (default: package.json version). */
  version?: string;
  /** Default dist/verify. */
  outDir?: string;
  quiet?: boolean;
}

export const VERIFY_ENTRY = join(ROOT, 'scripts', 'evidence', 'verify.ts');

/** Build posture-verify for each target; returns one manifest per artefact. */
export function buildVerify(o: VerifyBuildOptions): Promise<SeaManifest[]> {
  return buildSea({ name: 'posture-verify', entry: VERIFY_ENTRY, targets: o.targets, version: o.version, outDir: o.outDir ?? join(ROOT, 'dist', 'verify'), quiet: o.quiet });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { target: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' } } });
  buildVerify({ targets: values.target ? parseTargets(values.target) : [hostTarget()], version: values.version, outDir: values.out })
    .then((ms) => {
      for (const m of ms) console.log(`${m.sha256}  ${m.target}/${m.file}`);
    })
    .catch((e) => {
      console.error('build:verify failed:', e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
