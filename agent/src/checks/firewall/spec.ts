/** firewall: is unsolicited inbound traffic actually filtered, on every profile? */
import type { CheckSpec } from '../types.js';

export const spec: CheckSpec<'firewall'> = {
  id: 'firewall',
  title: 'Firewall',
  defaults: { requireAllProfiles: true },
  remediation: {
    darwin: [
      'Open System Settings → Network → Firewall → turn Firewall on.',
      'Under Options, turn on "Enable stealth mode".',
    ],
    win32: [
      'Open Windows Security → Firewall & network protection and turn Microsoft Defender Firewall on for Domain, Private and Public networks.',
      'Or as administrator: `Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled True -DefaultInboundAction Block`.',
    ],
    linux: [
      'Ubuntu/Debian with ufw: `sudo ufw default deny incoming && sudo ufw enable`.',
      'Fedora/RHEL with firewalld: `sudo systemctl enable --now firewalld`.',
      'Otherwise install nftables and set `policy drop` on the input chain in /etc/nftables.conf, then `sudo systemctl enable --now nftables`.',
    ],
  },
  evaluate(obs, t) {
    const f = obs.facts;
    const off = (f.profiles ?? []).filter((p) => p.enabled === false).map((p) => p.name);
    const via = f.backends.length ? ` (${f.backends.join(', ')})` : '';
    if (t.requireAllProfiles !== false && off.length) return { status: 'fail', summary: `Firewall is off for the ${off.join(', ')} profile${off.length > 1 ? 's' : ''}` };
    if (f.inboundFiltered === true) return { status: 'pass', summary: `Inbound traffic is filtered${via}` };
    if (f.inboundFiltered === false) return { status: 'fail', summary: `Inbound traffic is not filtered${via}` };
    return { status: 'unknown', summary: 'Could not determine whether inbound traffic is filtered' };
  },
};
