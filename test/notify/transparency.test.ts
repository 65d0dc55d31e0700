/**
 * The "what is collected" list must not drift from the code: every program a platform's
 * collectors run is named in it, and every program it names is one the runner may run.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_ITEMS, INVENTORY_ITEMS } from '../../shared/src/transparency.js';
import { ALLOWLISTS } from '../../agent/src/exec/allowlist.js';
import { CHECK_IDS, PLATFORMS, type Platform } from '../../shared/src/checks/ids.js';
import { ROOT } from '../helpers/collector.js';

const CHECKS_DIR = join(ROOT, 'agent', 'src', 'checks');

/** Command names a platform's collectors pass to ctx.run('name', …). */
function commandsRunBy(platform: Platform): Set<string> {
  const names = new Set<string>();
  for (const dir of readdirSync(CHECKS_DIR)) {
    const f = join(CHECKS_DIR, dir, `${platform}.ts`);
    if (!existsSync(f)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/\brun\('([a-z][\w-]*)'/g)) names.add(m[1]);
  }
  if (platform === 'linux' && names.has('apt-get')) names.add('yum').add('dnf'); // run(tool, …) in patch-level
  return names;
}

const sourcesOf = (p: Platform) => [...INVENTORY_ITEMS.flatMap((i) => i.sources[p] ?? []), ...CHECK_IDS.flatMap((id) => CHECK_ITEMS[id].sources[p])];

describe.each(PLATFORMS)('what-is-collected on %s', (platform) => {
  it('names every program the collectors run', () => {
    const listed = sourcesOf(platform).join('\n');
    const used = [...commandsRunBy(platform)];
    if (platform === 'linux') expect(used.length).toBeGreaterThan(8); // the scan itself works
    for (const name of used) expect(listed, `${name} is run but not listed`).toMatch(new RegExp(`cmd: (\\S*/)?${name.replace(/[-]/g, '\\-')}\\b`));
  });

  it('names only programs the runner allows (apart from systeminformation’s own)', () => {
    for (const s of sourcesOf(platform).filter((x) => x.startsWith('cmd: ') && !x.includes('via systeminformation'))) {
      for (const name of s.slice(5).split(/\s/)[0].split('/')) expect(ALLOWLISTS[platform], `${s}`).toHaveProperty([name]);
    }
  });

  it('describes every check and inventory field', () => {
    for (const id of CHECK_IDS) {
      expect(CHECK_ITEMS[id].facts.length).toBeGreaterThan(0);
      expect(CHECK_ITEMS[id].sources[platform].length).toBeGreaterThan(0);
    }
    for (const i of INVENTORY_ITEMS) expect(i.sources[platform]?.length, i.field).toBeGreaterThan(0);
  });
});
