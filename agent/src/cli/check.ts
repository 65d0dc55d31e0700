/**
 * `posture-agent check [--json] [--root DIR]`: one local cycle, printed. Exit code 0 even
 * when checks fail: the command reports posture, it does not enforce it.
 */
import { isCheckId, type CheckId } from '../../../shared/src/checks/ids.js';
import type { CustomCheck } from '../../../shared/src/custom-checks/schema.js';
import type { CheckResult } from '../../../shared/src/checks/result.js';
import type { Inventory } from '../../../shared/src/protocol/inventory.js';
import { runChecks } from '../checks/registry.js';
import { collectInventory } from '../inventory/collect.js';

export interface CheckArgs {
  json: boolean;
  /** Root prefix for file-based probes (inspect a mounted image or container rootfs). */
  root?: string;
  only?: CheckId[];
  /** The policy's custom checks (enrolled agent's policy or --policy FILE). */
  customChecks?: CustomCheck[];
}

export interface CheckOutput {
  device: Inventory;
  checks: CheckResult[];
}

export function formatTable(out: CheckOutput): string {
  const lines = [`${out.device.hostname} (${[out.device.os.distro, out.device.os.release].filter(Boolean).join(' ') || out.device.os.platform})`, ''];
  const w = Math.max(...out.checks.map((c) => c.id.length), 2);
  lines.push(`${'CHECK'.padEnd(w)}  STATUS   SUMMARY`);
  for (const c of out.checks) {
    const detail = c.status === 'unknown' && c.reason && !c.summary.includes(c.reason) ? ` (${c.reason})` : '';
    lines.push(`${c.id.padEnd(w)}  ${c.status.toUpperCase().padEnd(7)}  ${c.summary}${detail}`);
  }
  const elevate = out.checks.filter((c) => c.needsElevation).map((c) => c.id);
  if (elevate.length) lines.push('', `More precise when run as root/administrator: ${elevate.join(', ')}`);
  return lines.join('\n');
}

export async function checkCommand(args: CheckArgs): Promise<number> {
  const [device, checks] = await Promise.all([collectInventory({ root: args.root }), runChecks({ root: args.root, only: args.only, customChecks: args.customChecks })]);
  const out: CheckOutput = { device, checks };
  process.stdout.write(args.json ? `${JSON.stringify(out)}\n` : `${formatTable(out)}\n`);
  return 0;
}

/** argv (after the command name) → CheckArgs. Throws on an unknown option. */
export function parseCheckArgs(argv: string[]): { json: boolean; root?: string; only?: CheckId[] } {
  const args: { json: boolean; root?: string; only?: CheckId[] } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--root') args.root = argv[++i];
    else if (a.startsWith('--root=')) args.root = a.slice(7);
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice(7);
      args.only = (v ?? '').split(',').filter(isCheckId);
    } else throw new Error(`unknown option ${a}`);
  }
  return args;
}
