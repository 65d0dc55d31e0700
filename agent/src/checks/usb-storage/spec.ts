/** usb_storage: is USB mass storage blocked (or read-only) by policy on this device? */
import type { CheckSpec } from '../types.js';

export const spec: CheckSpec<'usb_storage'> = {
  id: 'usb_storage',
  title: 'USB storage control',
  defaults: { usb: 'read_only' },
  remediation: {
    darwin: [
      'USB storage is restricted by your company\'s device management profile: open System Settings → Privacy & Security → Profiles and check that the company profile is installed.',
      'If it is missing, re-enroll from Self Service or ask IT.',
    ],
    win32: [
      'Ask IT to apply the "Removable Storage Access" policy (Computer Configuration → Administrative Templates → System → Removable Storage Access → "Removable Disks: Deny write access" or "All Removable Storage classes: Deny all access").',
      'Standalone machines, as administrator: `reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR /v Start /t REG_DWORD /d 4 /f`.',
    ],
    linux: [
      'Block the USB storage driver: `echo "install usb-storage /bin/false" | sudo tee /etc/modprobe.d/posture-usb-storage.conf`.',
      'Unload it if loaded: `sudo modprobe -r uas usb-storage` (or restart).',
      'Or use USBGuard with `ImplicitPolicyTarget=block` in /etc/usbguard/usbguard-daemon.conf.',
    ],
  },
  steps(obs, platform) {
    if (platform !== 'linux' || !obs.detail) return null;
    const d = obs.detail as { moduleLoaded?: boolean | null; builtinDriver?: boolean; usbguard?: unknown };
    const steps = d.builtinDriver
      ? ['usb-storage is built into this kernel, so modprobe.d cannot stop it: block mass storage with USBGuard (`ImplicitPolicyTarget=block` in /etc/usbguard/usbguard-daemon.conf) or ask IT.']
      : ['Block the USB storage driver (a "blacklist" line is not enough): `echo "install usb-storage /bin/false" | sudo tee /etc/modprobe.d/posture-usb-storage.conf`.'];
    if (d.moduleLoaded) steps.push('Unload it now: `sudo modprobe -r uas usb-storage` (or restart).');
    if (d.usbguard && !d.builtinDriver) steps.push('USBGuard is installed: set `ImplicitPolicyTarget=block` in /etc/usbguard/usbguard-daemon.conf and `sudo systemctl enable --now usbguard`.');
    return steps;
  },
  evaluate(obs, t) {
    const f = obs.facts;
    const need = typeof t.usb === 'string' ? t.usb : 'read_only';
    const via = f.mechanisms.length ? ` (${f.mechanisms.join(', ')})` : '';
    const attached = f.attachedMassStorage.length ? `; ${f.attachedMassStorage.length} USB storage device(s) attached` : '';
    if (need === 'any') return { status: 'pass', summary: `USB storage policy not required${attached}` };
    if (f.policy === 'unknown') return { status: 'unknown', summary: 'Could not determine the USB storage policy' };
    if (f.policy === 'blocked') return { status: 'pass', summary: `USB mass storage is blocked${via}${attached}` };
    if (f.policy === 'read_only') {
      return need === 'read_only'
        ? { status: 'pass', summary: `USB mass storage is read-only${via}${attached}` }
        : { status: 'fail', summary: `USB mass storage is read-only but policy requires blocked${via}${attached}` };
    }
    return { status: 'fail', summary: `USB mass storage is allowed${via}${attached}` };
  },
};
