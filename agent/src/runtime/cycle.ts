/** One full check cycle: inventory and the six checks, concurrently. */
import type { CheckId } from '#shared/checks/ids.js';
import { runChecks } from '../checks/registry.js';
import { collectInventory } from '../inventory/collect.js';
import type { CycleResult } from '../report/build.js';

/** `cacheDir` keeps expensive answers (pending updates) across restarts; the agent's state dir holds it. */
export async function runCycle(opts: { only?: CheckId[]; thresholds?: Record<string, unknown>; root?: string; cacheDir?: string; customChecks?: readonly unknown[] } = {}): Promise<CycleResult> {
  const [inventory, checks] = await Promise.all([
    collectInventory({ cacheDir: opts.cacheDir }),
    runChecks({ customChecks: opts.customChecks, only: opts.only, root: opts.root, cacheDir: opts.cacheDir, thresholds: opts.thresholds as Record<string, number | string | boolean> | undefined }),
  ]);
  return { inventory, checks };
}
