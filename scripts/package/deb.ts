/**
 * Builds posture-agent_<version>_<arch>.deb with dpkg-deb from a built agent (scripts/build/agent.ts).
 * Layout and maintainer scripts: layout.ts. Files are owned by root (--root-owner-group).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BIN, BIN_LINK, DESCRIPTION, PKG_NAME, SUMMARY, UNIT_PATH, afterRemove, envFile, packageUnit, packageVersion, postInstall, purgeState, stopService } from './layout.js';
import type { PackageInput, PackageOutput } from './types.js';

const DEB_ARCH = { 'linux-x64': 'amd64', 'linux-arm64': 'arm64' } as const;

const script = (body: string) => `#!/bin/sh
# posture-agent maintainer script (scripts/package/deb.ts)
set -e
${body}exit 0
`;

/**
 * Debian preseeding (debconf): `posture-agent/server`, `posture-agent/secret` (a password
 * question: kept in debconf's root-only passwords.dat, and cleared once written to the
 * settings file), `posture-agent/owner`. Asked at priority low, so an interactive install does
 * not stop for them; `debconf-set-selections` before `apt install` / `dpkg -i` answers them.
 * A settings file that already exists (an MDM wrote it) wins, and nothing is asked.
 */
export const debTemplates = `Template: posture-agent/server
Type: string
Description: Posture collector URL:
 The collector this machine enrolls with and reports to, e.g.
 https://posture.example.com. Leave empty to set SERVER in
 /etc/default/posture-agent later.

Template: posture-agent/secret
Type: password
Description: Enrollment secret:
 The enrollment secret from the collector's Settings page. It is written to
 /etc/default/posture-agent (mode 0600) and then cleared from the debconf
 database.

Template: posture-agent/owner
Type: string
Description: Owner email (optional):
 The email of the person who uses this machine, recorded as its owner at
 enrollment.
`;

export const debConfig = `#!/bin/sh
# posture-agent debconf config script (scripts/package/deb.ts)
set -e
. /usr/share/debconf/confmodule
if [ ! -e ${envFile('deb')} ]; then
  for q in server secret owner; do db_input low posture-agent/$q || true; done
  db_go || true
fi
exit 0
`;

/**
 * The postinst reads the debconf answers (when debconf is installed), then runs the shared
 * postInstall with them as POSTURE_SERVER/SECRET/OWNER unless the installer's environment set
 * those. After confmodule, stdout belongs to debconf: everything else writes to stderr.
 */
const debconfRead = `if [ -e /usr/share/debconf/confmodule ]; then
  . /usr/share/debconf/confmodule
  db_get posture-agent/server && POSTURE_SERVER="\${POSTURE_SERVER:-$RET}" || true
  db_get posture-agent/secret && POSTURE_SECRET="\${POSTURE_SECRET:-$RET}" || true
  db_get posture-agent/owner && POSTURE_OWNER="\${POSTURE_OWNER:-$RET}" || true
  # Written to the 0600 settings file below; no second copy stays in debconf.
  db_set posture-agent/secret "" || true
  db_stop || true
fi
`;

export const debScripts = {
  postinst: script(`case "$1" in
configure)
${debconfRead}{
${postInstall('deb')}} >&2;;
esac
`),
  prerm: script(`case "$1" in
remove|deconfigure)
${stopService};;
esac
`),
  postrm: script(`case "$1" in
remove|purge)
${afterRemove};;
esac
if [ "$1" = purge ]; then
${purgeState('deb')}  if [ -e /usr/share/debconf/confmodule ]; then . /usr/share/debconf/confmodule; db_purge || true; fi
fi
`),
};

export function buildDeb(i: PackageInput): PackageOutput {
  const arch = DEB_ARCH[i.target as keyof typeof DEB_ARCH];
  if (!arch) throw new Error(`deb: no Debian architecture for target ${i.target}`);
  const version = packageVersion(i.version);
  const root = join(i.workDir, `deb-${i.target}`);
  rmSync(root, { recursive: true, force: true });
  const put = (path: string, content: string | Buffer, mode: number) => {
    const p = join(root, path);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    writeFileSync(p, content);
    chmodSync(p, mode);
  };
  mkdirSync(join(root, dirname(BIN)), { recursive: true, mode: 0o755 });
  copyFileSync(i.binary, join(root, BIN));
  chmodSync(join(root, BIN), 0o755);
  mkdirSync(join(root, dirname(BIN_LINK)), { recursive: true, mode: 0o755 });
  symlinkSync(relative(dirname(BIN_LINK), BIN), join(root, BIN_LINK));
  put(UNIT_PATH, packageUnit('deb'), 0o644);
  const md5 = (p: string) => createHash('md5').update(readFileSync(join(root, p))).digest('hex');
  const installedKiB = Math.ceil((statSync(join(root, BIN)).size + statSync(join(root, UNIT_PATH)).size) / 1024);
  put(
    'DEBIAN/control',
    `Package: ${PKG_NAME}
Version: ${version}
Architecture: ${arch}
Maintainer: ${i.maintainer}
Installed-Size: ${installedKiB}
Depends: libc6 (>= 2.28)
Section: admin
Priority: optional
Homepage: ${i.homepage}
Description: ${SUMMARY}
${DESCRIPTION.split('\n').map((l) => ` ${l}`).join('\n')}
`,
    0o644,
  );
  // md5sums: what `dpkg -V` / debsums check (the self-updated binary shows up there, by design).
  put('DEBIAN/md5sums', [BIN, UNIT_PATH].map((p) => `${md5(p)}  ${p.slice(1)}`).join('\n') + '\n', 0o644);
  for (const [name, body] of Object.entries(debScripts)) put(`DEBIAN/${name}`, body, 0o755);
  put('DEBIAN/templates', debTemplates, 0o644);
  put('DEBIAN/config', debConfig, 0o755);
  mkdirSync(i.outDir, { recursive: true });
  const file = join(i.outDir, `${PKG_NAME}_${version}_${arch}.deb`);
  const z = i.compression === 'xz' ? ['-Zxz'] : i.compression === 'gzip' ? ['-Zgzip', '-z1'] : ['-Znone'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...z, '--build', root, file], { stdio: 'pipe' });
  rmSync(root, { recursive: true, force: true });
  return { format: 'deb', target: i.target, file };
}
