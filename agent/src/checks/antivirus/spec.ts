/** antivirus: at least one antivirus/EDR product running, protecting and up to date. */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import type { CheckSpec, Thresholds } from '../types.js';
import { num } from '../types.js';

/** Problems with one product: `bad` fail the check, `unsure` make it unknown. */
export function productProblems(p: AvProduct, t: Thresholds): { bad: string[]; unsure: string[] } {
  const bad: string[] = [];
  const unsure: string[] = [];
  const maxAge = num(t, 'maxDefinitionAgeDays', 7);
  if (p.running === false) bad.push('not running');
  if (p.running === null) unsure.push('running state unknown');
  if (p.realTimeProtection === false) bad.push('real-time protection off');
  if (p.definitionsUpToDate === false) bad.push('definitions out of date');
  if (p.definitionsAgeDays != null && p.definitionsAgeDays > maxAge) bad.push(`definitions ${p.definitionsAgeDays} days old (max ${maxAge})`);
  // A signature scanner whose signatures cannot be dated is not proven current. EDRs
  // update their cloud models themselves and report no definition age.
  if (p.kind === 'antivirus' && p.definitionsUpToDate === null && p.definitionsAgeDays === null) unsure.push('definition age unknown');
  // An EDR is protection only when its own tool confirms it; a running process is not enough.
  if (p.kind === 'edr') {
    const confirm = p.healthCommand ? `; confirm with: ${p.healthCommand}` : '';
    if (p.healthConfirmed === false) bad.push(`its own health check reports it unhealthy (not registered, reduced functionality or disconnected)${confirm}`);
    else if (p.healthConfirmed !== true && p.running !== false) unsure.push(`health not confirmed by the vendor's tool (only its process was seen)${confirm}`);
  }
  return { bad, unsure };
}

export const spec: CheckSpec<'antivirus'> = {
  id: 'antivirus',
  title: 'Antivirus / EDR',
  defaults: { maxDefinitionAgeDays: 7 },
  remediation: {
    darwin: [
      'Install and start the company EDR agent from Self Service (or as IT instructs).',
      'Keep System Settings → General → Software Update → Automatic Updates → "Install Security Responses and system files" on, so XProtect stays current.',
    ],
    win32: [
      'Open Windows Security → Virus & threat protection → Manage settings and turn on Real-time protection.',
      'Then Virus & threat protection updates → Check for updates.',
      'If a third-party product is installed, open it and update its definitions.',
    ],
    linux: [
      'Install and start the company EDR agent as IT instructs, or ClamAV: sudo apt-get install clamav-daemon clamav-freshclam',
      'Start it: sudo systemctl enable --now clamav-daemon clamav-freshclam',
      'Refresh signatures: sudo systemctl restart clamav-freshclam (or sudo freshclam)',
    ],
  },
  evaluate(obs, t) {
    const products = obs.facts.products;
    if (products.length === 0) {
      return obs.reason
        ? { status: 'unknown', summary: 'Could not determine which antivirus or EDR products are present' }
        : { status: 'fail', summary: 'No antivirus or EDR product found' };
    }
    const lines: string[] = [];
    let anyBad = false;
    for (const p of products) {
      const { bad, unsure } = productProblems(p, t);
      if (bad.length === 0 && unsure.length === 0) {
        const age = p.definitionsAgeDays != null ? `, definitions ${p.definitionsAgeDays} day(s) old` : '';
        return { status: 'pass', summary: `${p.name} is running${p.realTimeProtection ? ' with real-time protection' : ''}${age}` };
      }
      anyBad ||= bad.length > 0;
      lines.push(`${p.name}: ${[...bad, ...unsure].join(', ')}`);
    }
    return { status: anyBad ? 'fail' : 'unknown', summary: lines.join('; ').slice(0, 500) };
  },
};
