/**
 * Linux update steps for the package manager the collector found, so a Debian user sees
 * no dnf command and a Fedora user no apt one. Unknown (null facts): the generic list.
 */
import type { PatchLevelFacts } from '../../../../shared/src/checks/facts.js';

export function linuxPatchSteps(f: Partial<PatchLevelFacts> | null): string[] {
  const restart = 'Restart if a new kernel was installed.';
  const upgrade = 'If this release no longer gets security updates, upgrade to a supported release (or ask IT about extended support).';
  switch (f?.packageManager) {
    case 'apt':
      return [
        f.osId === 'ubuntu' ? 'Run `sudo apt update && sudo apt upgrade` (or open Software Updater → Install Now).' : 'Run `sudo apt update && sudo apt upgrade`.',
        'Keep security updates automatic: `sudo apt install unattended-upgrades && sudo dpkg-reconfigure -plow unattended-upgrades`.',
        ...(f.osId === 'ubuntu' ? ['On an LTS past standard support, Ubuntu Pro ESM keeps security updates coming: `sudo pro attach TOKEN`, then `sudo pro enable esm-infra`.'] : []),
        restart,
        upgrade,
      ];
    case 'dnf':
    case 'yum':
      return [
        `Run \`sudo ${f.packageManager} upgrade --refresh\`.`,
        `Keep updates automatic: \`sudo ${f.packageManager} install dnf-automatic && sudo systemctl enable --now dnf-automatic-install.timer\`.`,
        restart,
        upgrade,
      ];
    case 'zypper':
      return [f.osId === 'opensuse-tumbleweed' ? 'Run `sudo zypper refresh && sudo zypper dup`.' : 'Run `sudo zypper refresh && sudo zypper patch`.', restart, upgrade];
    case 'pacman':
      return ['Run `sudo pacman -Syu`.', restart];
    default:
      return [
        'Debian/Ubuntu: `sudo apt update && sudo apt upgrade`.',
        'Fedora/RHEL: `sudo dnf upgrade --refresh`.',
        'openSUSE: `sudo zypper patch`. Arch: `sudo pacman -Syu`.',
        restart,
      ];
  }
}
