/** Inputs and outputs shared by the package builders (deb.ts, rpm.ts, msi.ts, macos.ts). */
import type { TargetName } from '../build/targets.js';

export type Compression = 'xz' | 'gzip' | 'none';

export interface PackageInput {
  target: TargetName;
  /** Agent version (the build manifest's), e.g. 0.1.0 or 0.2.0-beta.1. */
  version: string;
  /** The built single executable for this target. */
  binary: string;
  outDir: string;
  /** Scratch directory for staging trees (removed after each build). */
  workDir: string;
  maintainer: string;
  homepage: string;
  /** Payload compression: xz for releases; gzip/none build faster (tests, local iterations). */
  compression: Compression;
}

export interface PackageOutput {
  format: 'deb' | 'rpm' | 'msi' | 'macos-tar';
  target: TargetName;
  file: string;
}
