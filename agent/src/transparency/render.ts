/**
 * `posture-agent status --what-is-collected`: the same list the My-device page shows
 * (shared/src/transparency.ts), for this platform, as text or JSON.
 */
import { BUILTIN_CHECK_IDS as CHECK_IDS, CHECK_TITLES, type Platform } from '#shared/checks/ids.js';
import { describeProbe } from '#shared/custom-checks/describe.js';
import type { CustomCheck } from '#shared/custom-checks/schema.js';
import { CHECK_ITEMS, INVENTORY_ITEMS, NOT_COLLECTED, REPORT_METADATA } from '#shared/transparency.js';

/** `customChecks`: the policy's custom checks this agent holds; those with a probe for the platform are listed. */
export function transparencyFor(platform: string, customChecks: readonly CustomCheck[] = []) {
  const p: Platform = (['linux', 'darwin', 'win32'] as const).find((x) => x === platform) ?? 'linux';
  return {
    platform: p,
    inventory: INVENTORY_ITEMS.map((i) => ({ field: i.field, what: i.what, sources: i.sources[p] ?? [] })),
    checks: [
      ...CHECK_IDS.map((id) => ({ id: id as string, title: CHECK_TITLES[id], evidence: CHECK_ITEMS[id].facts, sources: CHECK_ITEMS[id].sources[p] })),
      ...customChecks.flatMap((c) => {
        const probe = c.probes[p];
        if (!probe) return [];
        const d = describeProbe(probe);
        return [{ id: c.id as string, title: `${c.title} (company check)`, evidence: [d.sends], sources: [d.reads] }];
      }),
    ],
    withEveryReport: REPORT_METADATA,
    neverCollected: NOT_COLLECTED,
  };
}

export function renderTransparency(platform: string, customChecks: readonly CustomCheck[] = []): string {
  const t = transparencyFor(platform, customChecks);
  const out: string[] = [
    `What the Posture agent collects and sends (${t.platform}).`,
    'It only reads; it changes nothing on this computer. "cmd:" runs a program, "file:" reads a file.',
    '',
    'Device inventory',
  ];
  for (const i of t.inventory) {
    out.push(`  ${i.field}: ${i.what}`);
    for (const s of i.sources) out.push(`      ${s}`);
  }
  out.push('', 'Security checks (evidence sent)');
  for (const c of t.checks) {
    out.push(`  ${c.title} (${c.id}): ${c.evidence.join('; ')}`);
    for (const s of c.sources) out.push(`      ${s}`);
  }
  out.push('', 'With every report');
  for (const x of t.withEveryReport) out.push(`  - ${x}`);
  out.push('', 'Never collected');
  for (const x of t.neverCollected) out.push(`  - ${x}`);
  return out.join('\n');
}
