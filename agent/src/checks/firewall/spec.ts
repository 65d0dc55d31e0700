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
      'With ufw: `sudo ufw default deny incoming && sudo ufw enable`.',
      'With firewalld: `sudo systemctl enable --now firewalld`.',
      'Otherwise install nftables and set `policy drop` on the input chain in /etc/nftables.conf, then `sudo systemctl enable --now nftables`.',
    ],
  },
  steps(obs, platform) {
    if (platform !== 'linux') return null;
    const tools = (obs.detail?.tools ?? null) as { ufw?: boolean; firewalld?: boolean; nft?: boolean } | null;
    if (!tools) return null;
    const v6 = /IPv6 is not/.test(obs.reason ?? '') ? ['IPv6 is open: filter it too (an `inet` table in nftables covers IPv4 and IPv6 together).'] : [];
    if (tools.firewalld) return ['Start firewalld and keep it on: `sudo systemctl enable --now firewalld`.', 'Make sure the default zone is not "trusted": `sudo firewall-cmd --set-default-zone=public`.', ...v6];
    if (tools.ufw) return ['Turn on ufw with inbound traffic denied: `sudo ufw default deny incoming && sudo ufw enable`.', ...v6];
    return [
      tools.nft ? 'Set `policy drop` on the input chain of an `inet` table in /etc/nftables.conf (allow `ct state established,related` and `iif lo`).' : 'Install nftables (or the firewall your IT department uses) and set `policy drop` on its input chain.',
      'Load it now and at boot: `sudo systemctl enable --now nftables`.',
      ...v6,
    ];
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
