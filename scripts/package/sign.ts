/**
 * OpenPGP signatures in the .rpm packages (`rpmsign --addsign`): `rpm -K` and dnf/yum/zypper
 * (`gpgcheck=1`) check them against a key imported with `rpm --import`. The key is the
 * operator's (a release key kept offline, like the TUF root): named by `keyId` in the GnuPG
 * home `gpgHome`, without a passphrase prompt (a passphrase-protected key needs gpg-agent
 * preset with it before the build).
 *
 * The .deb is not signed in the file: Debian checks the signed Release/InRelease of the apt
 * repository that carries it (reprepro, aptly); docs/deploy.md says so.
 */
import { execFileSync } from 'node:child_process';

/** Which OpenPGP key signs, and where GnuPG keeps it. */
export interface PackageSigningKey {
  /** Key id, fingerprint or user id that gpg --local-user accepts. */
  keyId: string;
  /** GNUPGHOME holding the secret key. */
  gpgHome: string;
}

/** Adds a signature to `file` in place; throws with rpmsign's own message when it cannot. */
export function signRpm(file: string, key: PackageSigningKey): void {
  // rpm's macros name /usr/bin/gpg2, which Debian does not ship: use the gpg on PATH.
  const gpg = execFileSync('sh', ['-c', 'command -v gpg || command -v gpg2'], { encoding: 'utf8' }).trim();
  try {
    execFileSync('rpmsign', ['--addsign', '--define', `__gpg ${gpg}`, '--define', `_gpg_name ${key.keyId}`, '--define', `_gpg_path ${key.gpgHome}`, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GNUPGHOME: key.gpgHome },
      timeout: 120_000,
    });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
    throw new Error(`rpmsign --addsign ${file} with key ${key.keyId}: ${err.split('\n').slice(-2).join(' ')}`);
  }
}
