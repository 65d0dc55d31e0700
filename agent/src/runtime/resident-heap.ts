/**
 * Keep the resident agent's young generation at its initial size.
 *
 * V8 grows the new space (two semi-spaces) by `semi_space_growth_factor` (default 2) whenever
 * many objects survive a scavenge, up to 16 MiB per semi-space on 64-bit, and the pages stay
 * committed. The resident only holds the socket, spool and scheduler between cycles, yet its
 * start-up (the whole bundle's module initialisation) grows the new space to its maximum: on
 * Linux that was ≈ 8 MiB of the idle process's private memory (33.5 → 25.3 MiB RssAnon with the
 * young generation capped, docs/benchmarks.md "Session 4"). The probes run in a short-lived
 * child (runtime/child-cycle.ts) which keeps the default, so cycles do not pay extra scavenges.
 *
 * The growth factor is read by V8 each time it grows the new space (heap/new-spaces.cc), so
 * setting it at run time, before the resident's start-up allocations, is effective; the heap
 * size limits themselves are fixed at start-up and cannot be changed from JavaScript (nor, in
 * a single executable, passed on the command line).
 */
import { setFlagsFromString } from 'node:v8';

/** Call once, first thing in the resident `run` process. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
