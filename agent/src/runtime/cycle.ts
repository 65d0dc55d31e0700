/** One full check cycle: inventory and the six checks, concurrently. */
import type { CheckId } from '#shared/checks/ids.js';
import { runChecks } from '../checks/registry.js';
import { collectInventory } from '../inventory/collect.js';
import type { CycleResult } from '../report/build.js';

export async function runCycle(opts: { only?: CheckId[]; thresholds?: Record<string, unknown>; root?: string } = {}): Promise<CycleResult> {
  const [inventory, checks] = await Promise.all([
    collectInventory(),
    runChecks({ only: opts.only, root: opts.root, thresholds: opts.thresholds as Record<string, number | string | boolean> | undefined }),
  ]);
  return { inventory, checks };
}
