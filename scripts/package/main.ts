/**
 * npm run package [-- --target linux-x64,linux-arm64,win-x64,darwin-arm64,darwin-x64]
 *                    [--agent-dir dist/agent] [--out dist/packages] [--compression xz|gzip|none]
 *                    [--sign-key KEYID [--gpg-home DIR]]   (OpenPGP signature in each .rpm: sign.ts)
 *
 * Native packages from agents already built by `npm run build:agent -- --target ...`:
 *   linux-*   .deb (dpkg-deb) and .rpm (rpmbuild)            deb.ts, rpm.ts
 *   win-x64   .msi (wixl) with the WinSW service wrapper      msi.ts
 *   darwin-*  .tar.gz with an install script and launchd plist, plus the pkgbuild command to
 *             run on a Mac (no tool here makes a .pkg)         macos.ts
 * Without --target every target whose agent is built is packaged, and the others are named as
 * skipped. The version is the one in each agent's build manifest. DIR/SHA256SUMS lists all.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BuildManifest } from '../build/agent.js';
import { ALL_TARGETS, ROOT, TARGETS, parseTargets, type TargetName } from '../build/targets.js';
import { buildDeb } from './deb.js';
import { buildRpm } from './rpm.js';
import { buildMsi } from './msi.js';
import { buildMacosTar } from './macos.js';
import { signRpm, type PackageSigningKey } from './sign.js';
import { homedir } from 'node:os';
import type { Compression, PackageInput, PackageOutput } from './types.js';

export interface PackageOptions {
  /** Default: every target built in agentDir. */
  targets?: TargetName[];
  /** Only these formats (default all that apply to each target). */
  formats?: PackageOutput['format'][];
  agentDir?: string;
  outDir?: string;
  compression?: Compression;
  quiet?: boolean;
  /** Sign each .rpm with this OpenPGP key (sign.ts). */
  sign?: PackageSigningKey;
}

const MAINTAINER = 'Posture project <posture@localhost>';
const HOMEPAGE = 'https://github.com/posture/posture';

export const formatsFor = (t: TargetName): PackageOutput['format'][] => (t.startsWith('linux') ? ['deb', 'rpm'] : t.startsWith('win') ? ['msi'] : ['macos-tar']);

/** Reads DIR/<target>/manifest.json; throws naming the build command when it is missing. */
export function builtAgent(agentDir: string, t: TargetName): { binary: string; manifest: BuildManifest } {
  const mf = join(agentDir, t, 'manifest.json');
  if (!existsSync(mf)) throw new Error(`no built agent for ${t} in ${agentDir}: run npm run build:agent -- --target ${t}`);
  const manifest = JSON.parse(readFileSync(mf, 'utf8')) as BuildManifest;
  const binary = join(agentDir, t, TARGETS[t].exeName);
  const sha = createHash('sha256').update(readFileSync(binary)).digest('hex');
  if (sha !== manifest.sha256) throw new Error(`${binary} does not match its manifest (sha256 ${sha}, manifest ${manifest.sha256}): rebuild it`);
  return { binary, manifest };
}

export async function packageAll(o: PackageOptions = {}): Promise<PackageOutput[]> {
  const say = (m: string) => o.quiet || console.log(m);
  const agentDir = resolve(o.agentDir ?? join(ROOT, 'dist', 'agent'));
  const outDir = resolve(o.outDir ?? join(ROOT, 'dist', 'packages'));
  let targets = o.targets;
  if (!targets) {
    targets = ALL_TARGETS.filter((t) => existsSync(join(agentDir, t, 'manifest.json')));
    const skipped = ALL_TARGETS.filter((t) => !targets!.includes(t));
    if (skipped.length) say(`skipped (not built in ${agentDir}): ${skipped.join(', ')}`);
    if (!targets.length) throw new Error(`no built agents in ${agentDir}: run npm run build:agent -- --target linux-x64,...`);
  }
  const workDir = join(outDir, '.work');
  mkdirSync(workDir, { recursive: true });
  const out: PackageOutput[] = [];
  try {
    for (const t of targets) {
      const { binary, manifest } = builtAgent(agentDir, t);
      const input: PackageInput = { target: t, version: manifest.version, binary, outDir, workDir, maintainer: MAINTAINER, homepage: HOMEPAGE, compression: o.compression ?? 'xz' };
      for (const f of formatsFor(t)) {
        if (o.formats && !o.formats.includes(f)) continue;
        const t0 = Date.now();
        const r = f === 'deb' ? buildDeb(input) : f === 'rpm' ? buildRpm(input) : f === 'msi' ? await buildMsi(input) : buildMacosTar(input);
        if (f === 'rpm' && o.sign) signRpm(r.file, o.sign);
        out.push(r);
        say(`${t} ${f}: ${r.file} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const sums = out.map((r) => `${createHash('sha256').update(readFileSync(r.file)).digest('hex')}  ${basename(r.file)}`);
  writeFileSync(join(outDir, 'SHA256SUMS'), sums.join('\n') + '\n');
  return out;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { target: { type: 'string' }, format: { type: 'string' }, 'agent-dir': { type: 'string' }, out: { type: 'string' }, compression: { type: 'string' }, 'sign-key': { type: 'string' }, 'gpg-home': { type: 'string' } } });
  if (values['gpg-home'] && !values['sign-key']) throw new Error('--gpg-home needs --sign-key KEYID');
  const c = values.compression ?? 'xz';
  if (!['xz', 'gzip', 'none'].includes(c)) throw new Error(`--compression ${c}: expected xz, gzip or none`);
  const formats = values.format?.split(',').map((s) => s.trim()) as PackageOutput['format'][] | undefined;
  const bad = formats?.filter((f) => !['deb', 'rpm', 'msi', 'macos-tar'].includes(f));
  if (bad?.length) throw new Error(`--format ${bad.join(', ')}: expected deb, rpm, msi or macos-tar`);
  await packageAll({ targets: values.target ? parseTargets(values.target) : undefined, formats, agentDir: values['agent-dir'], outDir: values.out, compression: c as Compression,
    ...(values['sign-key'] ? { sign: { keyId: values['sign-key'], gpgHome: values['gpg-home'] ?? process.env.GNUPGHOME ?? join(homedir(), '.gnupg') } } : {}) });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  cli().catch((e) => {
    console.error('package failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
