/**
 * Writes packaging/ (systemd unit, launchd plist, Windows registration script) from the same
 * generators `posture-agent install` uses, for MDM and configuration-management rollouts.
 *   npx tsx scripts/build/packaging.ts   (also run by npm run build:agent)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LAUNCHD_LABEL, SERVICE_NAME, defaults, launchdPlist, systemdUnit } from '../../agent/src/cli/service.js';
import { windowsScript } from '../../agent/src/cli/service-windows.js';

export const PACKAGING = resolve(import.meta.dirname, '..', '..', 'packaging');

export function packagingFiles(): Record<string, string> {
  const linux = defaults('linux');
  const mac = defaults('darwin');
  return {
    [`linux/${SERVICE_NAME}.service`]: systemdUnit(linux.bin, linux.stateDir),
    [`macos/${LAUNCHD_LABEL}.plist`]: launchdPlist(mac.bin, mac.stateDir),
    'windows/install-service.ps1': windowsScript(),
  };
}

export function writePackaging(): string[] {
  const out: string[] = [];
  for (const [rel, content] of Object.entries(packagingFiles())) {
    const p = join(PACKAGING, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    out.push(p);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const p of writePackaging()) console.log(`wrote ${p}`);
}
