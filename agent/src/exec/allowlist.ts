/**
 * Every external program the agent may run, by logical name, with the absolute paths it
 * may live at on each OS. The runner refuses anything not listed here: a probe cannot
 * be tricked into running a binary found on a user-controlled PATH, and a reviewer can
 * see in one file everything the agent executes.
 */
import type { Platform } from '../../../shared/src/checks/ids.js';

const sys32 = (exe: string): string => `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\${exe}`;

const LINUX = {
  lsblk: ['/usr/bin/lsblk', '/bin/lsblk'],
  // Logged-in users for the inventory (inventory/users.ts).
  who: ['/usr/bin/who', '/bin/who'],
  zfs: ['/usr/sbin/zfs', '/sbin/zfs', '/usr/bin/zfs'],
  nft: ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'],
  iptables: ['/usr/sbin/iptables', '/sbin/iptables', '/usr/bin/iptables'],
  ip6tables: ['/usr/sbin/ip6tables', '/sbin/ip6tables', '/usr/bin/ip6tables'],
  // Whole rulesets, and the legacy (x_tables) side the nft-backed binaries cannot show.
  'iptables-save': ['/usr/sbin/iptables-save', '/sbin/iptables-save', '/usr/bin/iptables-save'],
  'ip6tables-save': ['/usr/sbin/ip6tables-save', '/sbin/ip6tables-save', '/usr/bin/ip6tables-save'],
  'iptables-legacy-save': ['/usr/sbin/iptables-legacy-save', '/sbin/iptables-legacy-save', '/usr/bin/iptables-legacy-save'],
  'ip6tables-legacy-save': ['/usr/sbin/ip6tables-legacy-save', '/sbin/ip6tables-legacy-save', '/usr/bin/ip6tables-legacy-save'],
  // Ubuntu Pro client: is ESM (extended security maintenance) active on an LTS past standard support?
  pro: ['/usr/bin/pro', '/usr/bin/ua'],
  sentinelctl: ['/opt/sentinelone/bin/sentinelctl'],
  ufw: ['/usr/sbin/ufw', '/sbin/ufw', '/usr/bin/ufw'],
  'firewall-cmd': ['/usr/bin/firewall-cmd', '/bin/firewall-cmd'],
  apt: ['/usr/bin/apt', '/bin/apt'],
  'apt-get': ['/usr/bin/apt-get', '/bin/apt-get'],
  'dpkg-query': ['/usr/bin/dpkg-query', '/bin/dpkg-query'],
  dnf: ['/usr/bin/dnf', '/bin/dnf'],
  yum: ['/usr/bin/yum', '/bin/yum'],
  zypper: ['/usr/bin/zypper', '/bin/zypper'],
  pacman: ['/usr/bin/pacman', '/bin/pacman'],
  checkupdates: ['/usr/bin/checkupdates'],
  rpm: ['/usr/bin/rpm', '/bin/rpm'],
  clamscan: ['/usr/bin/clamscan', '/bin/clamscan'],
  mdatp: ['/usr/bin/mdatp', '/opt/microsoft/mdatp/sbin/mdatp'],
  falconctl: ['/opt/CrowdStrike/falconctl'],
  gsettings: ['/usr/bin/gsettings', '/bin/gsettings'],
  systemctl: ['/usr/bin/systemctl', '/bin/systemctl'],
  // Desktop notifications and `posture-agent open` (agent/src/notify/, cli/open.ts).
  'notify-send': ['/usr/bin/notify-send'],
  runuser: ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'],
  loginctl: ['/usr/bin/loginctl', '/bin/loginctl'],
  'xdg-open': ['/usr/bin/xdg-open'],
  // The local channel's peer check: which process (uid) is connected (agent/src/local/peer.ts).
  ss: ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'],
  // Used by the runner's own tests and by nothing else: a harmless, always-present tool.
  sleep: ['/usr/bin/sleep', '/bin/sleep'],
  true: ['/usr/bin/true', '/bin/true'],
} as const;

const DARWIN = {
  fdesetup: ['/usr/bin/fdesetup'],
  diskutil: ['/usr/sbin/diskutil'],
  socketfilterfw: ['/usr/libexec/ApplicationFirewall/socketfilterfw'],
  pfctl: ['/sbin/pfctl'],
  defaults: ['/usr/bin/defaults'],
  plutil: ['/usr/bin/plutil'],
  spctl: ['/usr/sbin/spctl'],
  softwareupdate: ['/usr/sbin/softwareupdate'],
  sw_vers: ['/usr/bin/sw_vers'],
  profiles: ['/usr/bin/profiles'],
  sysadminctl: ['/usr/sbin/sysadminctl'],
  pmset: ['/usr/bin/pmset'],
  ps: ['/bin/ps'],
  mdatp: ['/usr/local/bin/mdatp'],
  falconctl: ['/Applications/Falcon.app/Contents/Resources/falconctl'],
  sentinelctl: ['/usr/local/bin/sentinelctl', '/Library/Sentinel/sentinel-agent.bundle/Contents/MacOS/sentinelctl'],
  santactl: ['/usr/local/bin/santactl', '/opt/santa/bin/santactl'],
  // Desktop notifications and `posture-agent open` (agent/src/notify/, cli/open.ts).
  osascript: ['/usr/bin/osascript'],
  launchctl: ['/bin/launchctl'],
  stat: ['/usr/bin/stat'],
  open: ['/usr/bin/open'],
  sleep: ['/bin/sleep'],
  true: ['/usr/bin/true'],
  // Custom checks (agent/src/checks/custom/): read-only queries.
  sysctl: ['/usr/sbin/sysctl'],
  netstat: ['/usr/sbin/netstat'],
  // The local channel's peer check: which process holds the other end (agent/src/local/darwin-peer.ts).
  lsof: ['/usr/sbin/lsof'],
} as const;

const WIN32 = {
  powershell: [sys32('WindowsPowerShell\\v1.0\\powershell.exe')],
  'manage-bde': [sys32('manage-bde.exe')],
  reg: [sys32('reg.exe')],
  netsh: [sys32('netsh.exe')],
  powercfg: [sys32('powercfg.exe')],
  // Custom checks (agent/src/checks/custom/): `sc query` / `sc qc` only.
  sc: [sys32('sc.exe')],
  // The local channel's secret-file proof (agent/src/local/proof/win32.ts): file ACLs and the user's own SID.
  icacls: [sys32('icacls.exe')],
  whoami: [sys32('whoami.exe')],
} as const;

export type CommandName = keyof typeof LINUX | keyof typeof DARWIN | keyof typeof WIN32;
export type Allowlist = Partial<Record<CommandName, readonly string[]>>;

export const ALLOWLISTS: Record<Platform, Allowlist> = { linux: LINUX, darwin: DARWIN, win32: WIN32 };

export function allowlistFor(platform: string): Allowlist {
  return ALLOWLISTS[platform as Platform] ?? {};
}
