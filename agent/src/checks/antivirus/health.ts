/**
 * Vendor health commands that refine an installed agent's entry: Defender for Endpoint's
 * `mdatp health` (JSON, or text on versions without `--output json`) and CrowdStrike's
 * reduced functionality mode (RFM: the sensor runs but cannot protect, e.g. after a kernel
 * update it does not support). Both only ever make a product look worse, never better.
 */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import type { ProbeContext } from '../types.js';
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
}

/** `falconctl -g --rfm-state` → "rfm-state=false." / "rfm-state=true." (root only). */
export function parseRfmState(text: string): boolean | null {
  const m = /rfm-state\s*=\s*(true|false)/i.exec(text);
  return m ? m[1].toLowerCase() === 'true' : null;
}

export async function falconRfm(ctx: ProbeContext): Promise<{ rfm: boolean | null; error?: string | null }> {
  const r = await ctx.run('falconctl', ['-g', '--rfm-state']);
  return { rfm: r.ok ? parseRfmState(r.stdout) : null, error: r.error };
}
