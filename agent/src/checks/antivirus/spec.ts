/** antivirus: at least one antivirus/EDR product running, protecting and up to date. */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import type { CheckSpec, Observation, Thresholds } from '../types.js';
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

/** Linux: the EDR's own confirming command when one is installed, else ClamAV for this package manager. */
function linuxAvSteps(obs: Observation<'antivirus'>, maxAge: number): string[] {
  const edr = obs.facts.products.filter((p) => p.kind === 'edr');
  const steps: string[] = [];
  for (const p of edr) {
    if (p.running === false) steps.push(`Start ${p.name} as IT instructs (it is installed but not running).`);
    else if (p.healthConfirmed !== true && p.healthCommand) steps.push(`${p.name} runs but its health is not confirmed: ask IT or run \`${p.healthCommand}\` and send the output to the help desk.`);
  }
  if (edr.length) return steps.length ? steps : ['Ask IT to check the EDR agent in its console.'];
  const pm = typeof obs.detail?.packageManager === 'string' ? obs.detail.packageManager : null;
  const install =
    pm === 'dnf' ? 'sudo dnf install clamav clamd clamav-update && sudo systemctl enable --now clamd@scan clamav-freshclam'
    : pm === 'zypper' ? 'sudo zypper install clamav && sudo systemctl enable --now clamd freshclam.timer'
    : pm === 'pacman' ? 'sudo pacman -S clamav && sudo systemctl enable --now clamav-daemon clamav-freshclam'
    : 'sudo apt-get install clamav-daemon clamav-freshclam && sudo systemctl enable --now clamav-daemon clamav-freshclam';
  return [
    'Install and start the company EDR agent as IT instructs, or ClamAV:',
    `\`${install}\``,
    `Keep signatures younger than ${maxAge} day(s): \`sudo freshclam\` (the freshclam service does it automatically).`,
  ];
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
      'Install and start the company EDR agent as IT instructs, or ClamAV: `sudo apt-get install clamav-daemon clamav-freshclam`.',
      'Start it: `sudo systemctl enable --now clamav-daemon clamav-freshclam`.',
      'Refresh signatures: `sudo systemctl restart clamav-freshclam` (or `sudo freshclam`).',
    ],
  },
  steps: (obs, platform, t) => (platform === 'linux' ? linuxAvSteps(obs, num(t, 'maxDefinitionAgeDays', 7)) : null),
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
