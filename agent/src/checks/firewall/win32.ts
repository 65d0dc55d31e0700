/** Windows: the three firewall profiles from the active policy store (unprivileged). */
import { runPowerShell } from '../platform/powershell.js';
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { parseNetFirewallProfiles, parseNetshAllProfiles, windowsInboundFiltered } from './parse-windows.js';

const GET_PROFILES =
  "Get-NetFirewallProfile -PolicyStore ActiveStore | Select-Object Name,@{n='Enabled';e={[string]$_.Enabled}},@{n='DefaultInboundAction';e={[string]$_.DefaultInboundAction}} | ConvertTo-Json -Compress";

export const collectWin32: Collector<'firewall'> = async (ctx) => {
  const ps = await runPowerShell(ctx, GET_PROFILES);
  let profiles = ps.ok ? parseNetFirewallProfiles(ps.stdout) : null;
  let source = 'Get-NetFirewallProfile';
  let reason: string | undefined;
  if (!profiles) {
    const netsh = await ctx.run('netsh', ['advfirewall', 'show', 'allprofiles']);
    profiles = netsh.ok ? parseNetshAllProfiles(netsh.stdout) : null;
    source = 'netsh';
    if (!profiles) reason = `${describeFailure('Get-NetFirewallProfile', ps.error)}; ${netsh.ok ? 'netsh output not understood' : describeFailure('netsh', netsh.error)}`;
  }
  if (!profiles) return { facts: { inboundFiltered: null, backends: [] }, reason };
  return { facts: { inboundFiltered: windowsInboundFiltered(profiles), backends: ['windows-firewall'], profiles }, detail: { source } };
};
