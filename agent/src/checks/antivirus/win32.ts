/** Windows: Security Center's registered products, Defender's status as enrichment/fallback. */
import { runPowerShell } from '../platform/powershell.js';
import type { Collector } from '../types.js';
import { describeFailure } from '../types.js';
import { decodeProductState, parseMpComputerStatus, parseSecurityCenter2, windowsProducts } from './parse-windows.js';

const SC2 = 'Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | Select-Object displayName,productState,timestamp | ConvertTo-Json -Compress';
const MP = 'Get-CimInstance -Namespace root/Microsoft/Windows/Defender -ClassName MSFT_MpComputerStatus | Select-Object AMServiceEnabled,AntivirusEnabled,RealTimeProtectionEnabled,AntivirusSignatureAge,AMRunningMode | ConvertTo-Json -Compress';

export const collectWin32: Collector<'antivirus'> = async (ctx) => {
  const [sc2r, mpr] = await Promise.all([runPowerShell(ctx, SC2), runPowerShell(ctx, MP)]);
  // An "Invalid namespace" error is the normal answer on Windows Server.
  const sc2 = sc2r.ok ? parseSecurityCenter2(sc2r.stdout) : null;
  const mp = mpr.ok ? parseMpComputerStatus(mpr.stdout) : null;
  const products = windowsProducts(sc2, mp);
  const detail = {
    securityCenter: sc2 ? sc2.map((p) => ({ name: p.displayName, productState: `0x${p.productState.toString(16)}`, ...decodeProductState(p.productState) })) : describeFailure('SecurityCenter2', sc2r.error),
    defender: mp ?? describeFailure('MSFT_MpComputerStatus', mpr.error),
  };
  return { facts: { products }, detail, reason: !sc2 && !mp ? `${detail.securityCenter}; ${detail.defender}` : undefined };
};
