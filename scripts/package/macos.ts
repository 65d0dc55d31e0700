/**
 * macOS: no tool that runs on Linux builds a flat .pkg, so `npm run package` writes
 * posture-agent-<version>-darwin-<arch>.tar.gz holding
 *   posture-agent             the agent (re-sign on a Mac: the Linux build cannot codesign)
 *   com.posture.agent.plist   launchd daemon, runs `run --enroll-config <ENROLL_CONF>`
 *   install.sh / uninstall.sh for a script-based rollout (root), also the pkg's postinstall
 *   build-pkg.sh              the documented pkgbuild command, to run on a Mac with a
 *                             Developer ID Installer certificate
 * Paths: /usr/local/bin/posture-agent (no package manager owns it, so self-update may replace
 * it), state /Library/Application Support/Posture/agent (root 0700), settings ENROLL_CONF.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHD_LABEL, defaults, launchdPlist } from '../../agent/src/cli/service.js';
import { PKG_NAME } from './layout.js';
import type { PackageInput, PackageOutput } from './types.js';

export const ENROLL_CONF = '/Library/Application Support/Posture/enroll.conf';

const mac = defaults('darwin');
const PLIST = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;

/** install.sh: binary, state, settings (SERVER/SECRET/OWNER from the environment), daemon. */
export const installScript = `#!/bin/sh
# Posture agent for macOS: install and start the launchd daemon (run as root).
#   sudo SERVER=https://posture.example.com SECRET=pst_enr_... OWNER=a@example.com ./install.sh
# An MDM may instead write "${ENROLL_CONF}" (SERVER=..., SECRET=..., OWNER=...) first.
# Also the postinstall of the pkg that build-pkg.sh makes (then the files are already in place).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
BIN="${mac.bin}"
STATE="${mac.stateDir}"
CONF="${ENROLL_CONF}"
PLIST="${PLIST}"
if [ -f "$here/posture-agent" ]; then
  mkdir -p "$(dirname "$BIN")"
  install -m 0755 "$here/posture-agent" "$BIN.new" && mv -f "$BIN.new" "$BIN"
fi
if [ -f "$here/${LAUNCHD_LABEL}.plist" ]; then install -m 0644 -o root -g wheel "$here/${LAUNCHD_LABEL}.plist" "$PLIST"; fi
# Built on Linux the Mach-O signature is invalid; Apple silicon runs nothing unsigned.
if ! codesign --verify "$BIN" 2>/dev/null; then
  echo "install.sh: $BIN has no valid signature; signing it ad hoc (ship a Developer ID signed build for production)"
  codesign --force --sign - "$BIN"
fi
mkdir -p "$STATE" /Library/Logs/Posture
chown root:wheel "$STATE"; chmod 0700 "$STATE"
if [ ! -e "$CONF" ]; then
  mkdir -p "$(dirname "$CONF")"
  ( umask 077; printf '%s\\n' "SERVER=\\"\${SERVER:-}\\"" "SECRET=\\"\${SECRET:-}\\"" "OWNER=\\"\${OWNER:-}\\"" > "$CONF" )
fi
chown root:wheel "$CONF"; chmod 0600 "$CONF"
launchctl bootout system/${LAUNCHD_LABEL} 2>/dev/null || true
launchctl bootstrap system "$PLIST"
echo "posture-agent: daemon ${LAUNCHD_LABEL} started; it enrolls from $CONF on its first start"
`;

export const uninstallScript = `#!/bin/sh
# Stop and remove the Posture agent daemon and binary; --purge also removes state and settings.
set -eu
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root (sudo)" >&2; exit 1; }
launchctl bootout system/${LAUNCHD_LABEL} 2>/dev/null || true
rm -f "${PLIST}" "${mac.bin}" "${mac.bin}.previous"
if [ "\${1:-}" = --purge ]; then rm -rf "${mac.stateDir}" "${ENROLL_CONF}"; fi
echo "posture-agent: removed"
`;

/** The pkgbuild command (on a Mac): payload root + install.sh as postinstall. */
export const buildPkgScript = (version: string, arch: string) => `#!/bin/sh
# Build a signed installer package on a Mac (pkgbuild ships with Xcode command line tools).
#   ./build-pkg.sh "Developer ID Application: Org (TEAMID)" "Developer ID Installer: Org (TEAMID)"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkdir -p "$work/root${mac.bin.replace(/\/[^/]+$/, '')}" "$work/root/Library/LaunchDaemons" "$work/scripts"
cp "$here/posture-agent" "$work/root${mac.bin}"
codesign --force --options runtime --timestamp --sign "$1" "$work/root${mac.bin}"
cp "$here/${LAUNCHD_LABEL}.plist" "$work/root${PLIST}"
cp "$here/install.sh" "$work/scripts/postinstall"
pkgbuild --root "$work/root" --scripts "$work/scripts" --identifier ${LAUNCHD_LABEL} --version ${version} \\
  --install-location / --sign "$2" "$here/${PKG_NAME}-${version}-${arch}.pkg"
rm -rf "$work"
echo "then: xcrun notarytool submit ${PKG_NAME}-${version}-${arch}.pkg --wait ... && xcrun stapler staple ${PKG_NAME}-${version}-${arch}.pkg"
`;

export function buildMacosTar(i: PackageInput): PackageOutput {
  if (!i.target.startsWith('darwin-')) throw new Error(`macos: not a macOS target: ${i.target}`);
  const arch = i.target.slice('darwin-'.length);
  const name = `${PKG_NAME}-${i.version}-${i.target}`;
  const dir = join(i.workDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(i.binary, join(dir, 'posture-agent'));
  chmodSync(join(dir, 'posture-agent'), 0o755);
  writeFileSync(join(dir, `${LAUNCHD_LABEL}.plist`), launchdPlist(mac.bin, mac.stateDir, { enrollConfig: ENROLL_CONF }), { mode: 0o644 });
  for (const [f, body] of [['install.sh', installScript], ['uninstall.sh', uninstallScript], ['build-pkg.sh', buildPkgScript(i.version, arch)]] as const) {
    writeFileSync(join(dir, f), body);
    chmodSync(join(dir, f), 0o755);
  }
  mkdirSync(i.outDir, { recursive: true });
  const file = join(i.outDir, `${name}.tar.gz`);
  execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-czf', file, '-C', i.workDir, name], { stdio: 'pipe' });
  rmSync(dir, { recursive: true, force: true });
  return { format: 'macos-tar', target: i.target, file };
}
