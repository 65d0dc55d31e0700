/**
 * macOS: the application firewall filters inbound connections per app when on; pf is
 * reported as evidence but its stock ruleset passes everything, so pf alone is not
 * counted as filtering.
 */
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { ALF_MANAGED_REFUSAL, parseAlfBlockAll, parseAlfGlobalState, parseAlfStealth, parseManagedFirewallProfile, parsePfInfo } from './parse-darwin.js';

export const collectDarwin: Collector<'firewall'> = async (ctx) => {
  const [g, b, s, pf] = await Promise.all([
    ctx.run('socketfilterfw', ['--getglobalstate']),
    ctx.run('socketfilterfw', ['--getblockall']),
    ctx.run('socketfilterfw', ['--getstealthmode']),
    ctx.run('pfctl', ['-s', 'info']),
  ]);
  let state = g.ok ? parseAlfGlobalState(g.stdout) : null;
  let source = 'socketfilterfw';
  // Managed Macs may refuse the getter; the firewall profile then says what is enforced.
  if (state === null && ALF_MANAGED_REFUSAL.test(`${g.stdout}\n${g.stderr}`)) {
    const prof = await ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '/Library/Managed Preferences/com.apple.security.firewall.plist']);
    state = prof.ok ? parseManagedFirewallProfile(prof.stdout) : null;
    if (state !== null) source = 'configuration profile';
  }
  const detail = {
    source,
    alfGlobalState: state,
    blockAll: b.ok ? parseAlfBlockAll(b.stdout) : null,
    stealthMode: s.ok ? parseAlfStealth(s.stdout) : null,
    pfEnabled: pf.ok ? parsePfInfo(pf.stdout) : null,
  };
  const backends = [...(state ? ['macos-alf'] : []), ...(detail.pfEnabled ? ['pf'] : [])];
  return {
    facts: { inboundFiltered: state === null ? null : state > 0, backends },
    detail,
    reason: state === null ? describeFailure('socketfilterfw --getglobalstate', g.error) : undefined,
    needsElevation: pf.error === 'permission_denied' && !ctx.elevated ? true : undefined,
  };
};
