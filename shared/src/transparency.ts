/**
 * What the agent collects and sends, in words an employee can check. One source of truth:
 * `posture-agent status --what-is-collected` and the My-device page both render this.
 * When a probe starts reading something new, it is listed here in the same change
 * (test/notify/transparency.test.ts cross-checks the commands against the allowlist).
 */
import type { CheckId, Platform } from './checks/ids.js';

export interface CollectedItem {
  /** Field name as it appears in the report. */
  field: string;
  /** What it is, in plain words. */
  what: string;
  /** Commands run and files read, per platform ("cmd: ..." runs a program, "file: ..." reads a file). */
  sources: Partial<Record<Platform, string[]>>;
}

export interface CheckTransparency {
  id: CheckId;
  /** The normalized facts sent as evidence (the collector judges only these). */
  facts: string[];
  sources: Record<Platform, string[]>;
}

const node = 'Node.js os module (no program run)';

export const INVENTORY_ITEMS: CollectedItem[] = [
  { field: 'inventory.hostname', what: 'The computer name', sources: { linux: [node], darwin: [node], win32: [node] } },
  { field: 'inventory.os', what: 'Operating system name, version, build, kernel and CPU architecture', sources: { linux: ['file: /etc/os-release', node], darwin: ['cmd: sw_vers', node], win32: [node] } },
  { field: 'inventory.hardware', what: 'Manufacturer, model, serial number and hardware UUID', sources: { linux: ['file: /sys/class/dmi/id/*'], darwin: ['cmd: system_profiler / ioreg (via systeminformation)'], win32: ['WMI Win32_ComputerSystem / Win32_BIOS (via systeminformation)'] } },
  { field: 'inventory.cpu, inventory.memoryBytes', what: 'Processor model, core count and installed memory', sources: { linux: [node], darwin: [node], win32: [node] } },
  { field: 'inventory.disks', what: 'Disk names, types, sizes, vendors and serial numbers (not their contents)', sources: { linux: ['cmd: lsblk (via systeminformation)'], darwin: ['cmd: system_profiler (via systeminformation)'], win32: ['WMI Win32_DiskDrive (via systeminformation)'] } },
  { field: 'inventory.network', what: 'Network interface names, MAC addresses and IP addresses', sources: { linux: [node], darwin: [node], win32: [node] } },
  { field: 'inventory.users', what: 'User names currently logged in (not passwords, not activity)', sources: { linux: ['cmd: who'], darwin: ['cmd: who (via systeminformation)'], win32: ['cmd: query user (via systeminformation)'] } },
  { field: 'inventory.software', what: 'Installed package / application names and versions (up to 2000)', sources: { linux: ['cmd: dpkg-query -W (or rpm -qa, pacman -Q)'], darwin: ['file: /Applications/*.app/Contents/Info.plist'], win32: ['cmd: reg query HKLM\\…\\Uninstall /s'] } },
  { field: 'inventory.softwareHash', what: 'A fingerprint (SHA-256) of that list, so that an unchanged list is sent at most once a day', sources: { linux: [node], darwin: [node], win32: [node] } },
];

export const CHECK_ITEMS: Record<CheckId, CheckTransparency> = {
  disk_encryption: {
    id: 'disk_encryption',
    facts: ['whether the system volume is encrypted', 'per volume: name, mount point, encryption method, protection on/off/suspended'],
    sources: {
      linux: ['cmd: lsblk -J -b -o NAME,TYPE,FSTYPE,MOUNTPOINT,…', 'cmd: zfs get encryption,keystatus (ZFS root only)', 'file: /proc/mounts', 'file: /proc/cmdline', 'file: /etc/crypttab'],
      darwin: ['cmd: fdesetup status', 'cmd: diskutil info -plist /System/Volumes/Data'],
      win32: ['cmd: powershell Get-BitLockerVolume', 'cmd: powershell Get-CimInstance Win32_EncryptableVolume (BitLocker state, numeric)', 'cmd: manage-bde -status', 'cmd: powershell Shell.Application System.Volume.BitLockerProtection (system drive)'],
    },
  },
  firewall: {
    id: 'firewall',
    facts: ['whether unsolicited inbound traffic is filtered', 'which firewall is in use', 'per profile: enabled and default inbound action'],
    sources: {
      linux: ['cmd: nft -j list ruleset', 'cmd: ufw status verbose', 'cmd: firewall-cmd --state / --get-default-zone', 'cmd: iptables -S INPUT', 'cmd: ip6tables -S INPUT', 'file: /etc/ufw/ufw.conf', 'file: /etc/default/ufw', 'file: /etc/firewalld/firewalld.conf and zones/*.xml (zone target)', 'file: /proc/net/if_inet6 (which interfaces have IPv6)'],
      darwin: ['cmd: socketfilterfw --getglobalstate / --getblockall / --getstealthmode', 'cmd: pfctl -s info (packet filter state)'],
      win32: ['cmd: powershell Get-NetFirewallProfile -PolicyStore ActiveStore', 'cmd: netsh advfirewall show allprofiles'],
    },
  },
  antivirus: {
    id: 'antivirus',
    facts: ['per antivirus/EDR product: name, running, real-time protection, definitions age'],
    sources: {
      linux: ['file: /proc/*/comm and /proc/*/cmdline (process names only, to see whether the product runs)', 'file: /etc/clamav/clamd.conf', 'file: ClamAV database headers (first 512 bytes)', 'cmd: clamscan --version', 'cmd: mdatp health --output json (or mdatp health)', 'cmd: falconctl -g --rfm-state (CrowdStrike, reduced functionality mode)'],
      darwin: ['cmd: ps -axo pid=,comm= (process names only)', 'cmd: spctl --status', 'cmd: plutil (XProtect.bundle Info.plist: version)', 'cmd: mdatp health --output json (or mdatp health)'],
      win32: ['cmd: powershell Get-CimInstance root/SecurityCenter2 AntiVirusProduct', 'cmd: powershell Get-CimInstance MSFT_MpComputerStatus (Defender)'],
    },
  },
  patch_level: {
    id: 'patch_level',
    facts: ['OS name and version', 'number of pending updates and pending security updates', 'days since the last update', 'whether automatic updates are on', 'whether extended security support (Ubuntu Pro ESM, Windows ESU) is active'],
    sources: {
      linux: ['cmd: apt list --upgradable', 'cmd: apt-get -s upgrade (fallback; simulation, changes nothing)', 'cmd: dnf/yum -C check-update, updateinfo list --security', 'cmd: zypper list-updates / list-patches', 'cmd: checkupdates', 'file: /etc/os-release', 'file: /var/log/apt/history.log', 'file: /etc/apt/apt.conf.d/*', 'cmd: pro status --format json (Ubuntu Pro: whether ESM security updates are enabled, for an end-of-support release)'],
      darwin: ['cmd: softwareupdate --list', 'cmd: defaults export /Library/Preferences/com.apple.SoftwareUpdate', 'cmd: plutil (/Library/Managed Preferences/com.apple.SoftwareUpdate.plist)'],
      win32: ['cmd: powershell Get-HotFix, Get-ItemProperty HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion and the WindowsUpdate policy keys'],
    },
  },
  usb_storage: {
    id: 'usb_storage',
    facts: ['whether USB mass storage is blocked, read-only or allowed, and by what mechanism', 'attached USB disks: name, vendor, size (not their contents)'],
    sources: {
      linux: ['file: /etc/modprobe.d, /run/modprobe.d, /usr/lib/modprobe.d, /lib/modprobe.d (*.conf)', 'file: /proc/cmdline', 'file: /proc/modules', 'file: /etc/usbguard/usbguard-daemon.conf, rules.conf', 'file: /lib/modules/<kernel>/modules.builtin', 'file: /sys/block/sd*/device/{vendor,model}, size'],
      darwin: ['cmd: plutil (/Library/Managed Preferences/com.apple.systemuiserver.plist: media restrictions)', 'cmd: santactl status --json (or santactl status)', 'cmd: diskutil list -plist external physical'],
      win32: ['cmd: reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR and UASPStor /v Start', 'cmd: reg query …\\Policies\\Microsoft\\Windows\\RemovableStorageDevices (machine and user)', 'cmd: powershell Get-CimInstance Win32_DiskDrive (USB disks: model, size)'],
    },
  },
  screen_lock: {
    id: 'screen_lock',
    facts: ['whether the screen locks when idle', 'the idle timeout in seconds'],
    sources: {
      linux: ['cmd: gsettings get org.gnome.desktop.screensaver lock-enabled / org.gnome.desktop.session idle-delay (as the desktop user)', 'file: /etc/dconf/db/local.d/*', 'file: ~/.config/kscreenlockerrc (KDE)', 'cmd: gsettings get org.cinnamon.* / org.mate.* (Cinnamon, MATE)', 'file: ~/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml (XFCE)', 'file: /etc/passwd (to find the desktop user\'s home)'],
      darwin: ['cmd: sysadminctl -screenLock status', 'cmd: defaults -currentHost read com.apple.screensaver idleTime', 'cmd: stat -f %u %Su /dev/console (the console user, when the agent runs as root)', 'cmd: plutil (the console user\'s ByHost com.apple.screensaver plist and /Library/Managed Preferences/<user>/com.apple.screensaver.plist)', 'cmd: pmset -g', 'cmd: plutil (/Library/Managed Preferences/com.apple.screensaver.plist)'],
      win32: ['cmd: reg query HKCU\\Control Panel\\Desktop and the screen saver / inactivity policy keys', 'cmd: powercfg /query SCHEME_CURRENT (CONSOLELOCK, STANDBYIDLE)'],
    },
  },
};

/** Sent with every report besides the items above. */
export const REPORT_METADATA: string[] = [
  'device id (random, assigned at enrollment) and a report sequence number',
  'when the checks ran, the agent version and what triggered the run (schedule, start-up, "Re-check now")',
  'per check: pass/fail/unknown, a one-line summary, why a result is unknown, and how long the check took',
  'how many reports are queued on this computer (if it was offline)',
];

/** Stated plainly because employees ask. */
export const NOT_COLLECTED: string[] = [
  'the contents of your files, documents, e-mail or messages',
  'browsing history, keystrokes, screenshots, camera or microphone',
  'your location',
  'passwords, recovery keys or disk encryption keys',
];
