/**
 * Vendor health commands for installed EDR/AV agents. An EDR counts as protection only
 * when its own tool confirms it (product.healthConfirmed = true): Defender's `mdatp
 * health`, CrowdStrike's `falconctl`, SentinelOne's `sentinelctl`. Without that answer
 * (tool missing, needs root, output not understood) the product stays unconfirmed and the
 * check is `unknown` with the command that would confirm it, never `pass`.
 */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import type { ProbeContext } from '../types.js';
import { parseFalconStats, parseFalconctlGet, parseSentinelctl, type EdrHealth } from './parse-edr.js';
import { parseMdatpHealth, parseMdatpHealthText, type MdatpHealth } from './parse-mdatp.js';

export async function mdatpHealth(ctx: ProbeContext): Promise<{ health: MdatpHealth | null; error?: string | null }> {
  const j = await ctx.run('mdatp', ['health', '--output', 'json']);
  const fromJson = j.ok ? parseMdatpHealth(j.stdout, ctx.now) : null;
  if (fromJson || j.error === 'not_found' || j.error === 'timeout') return { health: fromJson, error: j.error };
  const t = await ctx.run('mdatp', ['health']);
  return { health: t.ok ? parseMdatpHealthText(t.stdout, ctx.now) : null, error: t.error };
}

/** Fold Defender's health into the product: unhealthy counts as not running (protecting). */
export function applyMdatp(p: AvProduct, h: MdatpHealth): void {
  p.realTimeProtection = h.realTimeProtection;
  p.definitionsUpToDate = h.definitionsUpToDate;
  p.definitionsAgeDays = h.definitionsAgeDays;
  if (h.healthy === false) p.running = false;
  // Healthy, onboarded to an organisation and really protecting (not passive): confirmed.
  p.healthConfirmed =
    h.healthy === false || h.onboarded === false || h.passiveMode === true ? false : h.healthy === true && h.onboarded === true && h.realTimeProtection === true ? true : null;
}

/** `falconctl -g --rfm-state` → "rfm-state=false." / "rfm-state=true." (root only). */
export function parseRfmState(text: string): boolean | null {
  const m = /rfm-state\s*=\s*(true|false)/i.exec(text);
  return m ? m[1].toLowerCase() === 'true' : null;
}

export interface EdrProbe {
  health: EdrHealth | null;
  /** The command as the employee or help desk would run it. */
  command: string;
  error?: string | null;
}

/** CrowdStrike: registration and reduced functionality mode (Linux), or `falconctl stats` (macOS). */
export async function falconHealth(ctx: ProbeContext): Promise<EdrProbe> {
  if (ctx.platform === 'darwin') {
    const command = 'sudo /Applications/Falcon.app/Contents/Resources/falconctl stats';
    const r = await ctx.run('falconctl', ['stats']);
    return { health: r.ok ? parseFalconStats(r.stdout) : null, command, error: r.error };
  }
  const command = 'sudo /opt/CrowdStrike/falconctl -g --aid --rfm-state';
  const r = await ctx.run('falconctl', ['-g', '--aid', '--rfm-state']);
  // falconctl prints "aid is not set" with a non-zero exit: still an answer.
  const text = `${r.stdout}\n${r.stderr}`;
  return { health: r.ok || /aid|rfm-state/i.test(text) ? parseFalconctlGet(text) : null, command, error: r.error };
}

/** SentinelOne: protection state, management connectivity and agent id. */
export async function sentinelHealth(ctx: ProbeContext): Promise<EdrProbe> {
  if (ctx.platform === 'darwin') {
    const r = await ctx.run('sentinelctl', ['status']);
    return { health: r.ok ? parseSentinelctl(r.stdout) : null, command: 'sentinelctl status', error: r.error };
  }
  const [c, m] = await Promise.all([ctx.run('sentinelctl', ['control', 'status']), ctx.run('sentinelctl', ['management', 'status'])]);
  const command = 'sudo /opt/sentinelone/bin/sentinelctl control status; sudo /opt/sentinelone/bin/sentinelctl management status';
  return { health: c.ok && m.ok ? parseSentinelctl(`${c.stdout}\n${m.stdout}`) : null, command, error: c.error ?? m.error };
}

/** Commands that would confirm agents the probe has no health reader for. */
export const CONFIRM_BY: Record<string, { linux: string; darwin: string }> = {
  'Microsoft Defender for Endpoint': { linux: 'mdatp health', darwin: 'mdatp health' },
  'CrowdStrike Falcon': { linux: 'sudo /opt/CrowdStrike/falconctl -g --aid --rfm-state', darwin: 'sudo /Applications/Falcon.app/Contents/Resources/falconctl stats' },
  SentinelOne: { linux: 'sudo /opt/sentinelone/bin/sentinelctl control status', darwin: 'sentinelctl status' },
  'Sophos Protection': { linux: 'the device page in Sophos Central (Sophos Protection for Linux has no local health command)', darwin: 'the Sophos Endpoint app → About → Status' },
  'Elastic Defend': { linux: 'sudo /opt/Elastic/Endpoint/elastic-endpoint status', darwin: 'sudo /Library/Elastic/Endpoint/elastic-endpoint status' },
};

/** Apply a vendor probe to the product; records what the tool said in `detail`. */
export function applyEdr(p: AvProduct, probe: EdrProbe): void {
  p.healthCommand = probe.command;
  p.healthConfirmed = probe.health?.healthy ?? null;
  if (probe.health?.healthy === false && probe.health.problems.some((x) => /reduced functionality|not operational/.test(x))) p.realTimeProtection = false;
}
