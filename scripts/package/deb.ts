/**
 * Builds posture-agent_<version>_<arch>.deb with dpkg-deb from a built agent (scripts/build/agent.ts).
 * Layout and maintainer scripts: layout.ts. Files are owned by root (--root-owner-group).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BIN, BIN_LINK, DESCRIPTION, PKG_NAME, SUMMARY, UNIT_PATH, afterRemove, packageUnit, packageVersion, postInstall, purgeState, stopService } from './layout.js';
import type { PackageInput, PackageOutput } from './types.js';

const DEB_ARCH = { 'linux-x64': 'amd64', 'linux-arm64': 'arm64' } as const;

const script = (body: string) => `#!/bin/sh
# posture-agent maintainer script (scripts/package/deb.ts)
set -e
${body}exit 0
`;

export const debScripts = {
  postinst: script(`case "$1" in
configure)
${postInstall('deb')};;
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
${purgeState('deb')}fi
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
  mkdirSync(i.outDir, { recursive: true });
  const file = join(i.outDir, `${PKG_NAME}_${version}_${arch}.deb`);
  const z = i.compression === 'xz' ? ['-Zxz'] : i.compression === 'gzip' ? ['-Zgzip', '-z1'] : ['-Znone'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...z, '--build', root, file], { stdio: 'pipe' });
  rmSync(root, { recursive: true, force: true });
  return { format: 'deb', target: i.target, file };
}
