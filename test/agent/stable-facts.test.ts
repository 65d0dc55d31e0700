/**
 * The inventory's stable facts (OS, hardware, disks) on the real host: collected once and then
 * read from the probe cache while the key (hostname, kernel, boot, UTC day) holds; a stale or
 * foreign entry is never used, and a cached part that no longer validates is collected again.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Inventory } from '../../shared/src/protocol/inventory.js';
import { compile } from '../../shared/src/schema/validate.js';
import { collectInventory } from '../../agent/src/inventory/collect.js';
import { stableFacts, stableFactsKey } from '../../agent/src/inventory/stable-facts.js';
import { readCache, writeCache } from '../../agent/src/checks/cache.js';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'posture-stable-facts-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('inventory stable facts', () => {
  it('collects once, then answers from the cache under the same key', async () => {
    const dir = freshDir();
    const first = await stableFacts(dir);
    expect(first.cached).toBe(false);
    expect(first.facts.os.platform).toBe(process.platform);
    // Stored only when every source answered; on this host they do (a CI box with all of them).
    const stored = await readCache(dir, 'inventory-stable', stableFactsKey());
    expect(stored).toEqual(first.facts);
    const second = await stableFacts(dir);
    expect(second).toEqual({ facts: first.facts, cached: true });
    // Forced fresh: collected again, not read.
    expect((await stableFacts(dir, { fresh: true })).cached).toBe(false);
  });

  it('never uses an entry stored under another key (another day, boot or hostname)', async () => {
    const dir = freshDir();
    const now = Date.now();
    expect(stableFactsKey(now)).not.toBe(stableFactsKey(now + 86_400_000));
    const planted = { os: { platform: 'planted', distro: null, release: null, build: null, kernel: null, arch: null }, hardware: { vendor: null, model: null, serial: null, uuid: null }, disks: [] };
    await writeCache(dir, 'inventory-stable', stableFactsKey(now - 86_400_000), planted);
    const r = await stableFacts(dir);
    expect(r.cached).toBe(false);
    expect(r.facts.os.platform).toBe(process.platform);
  });

  it('a cached part that does not validate is collected again: the report inventory stays valid', async () => {
    const dir = freshDir();
    // Shaped enough to be read back, invalid for the schema (another version's cache, an edit).
    await writeCache(dir, 'inventory-stable', stableFactsKey(), { os: { platform: 42 }, hardware: {}, disks: [] });
    const inv = await collectInventory({ cacheDir: dir });
    expect(compile(Inventory).validate(inv).ok).toBe(true);
    expect(inv.os.platform).toBe(process.platform);
    // …and the bad entry was replaced by the fresh, complete answer.
    const again = await readCache<{ os: { platform: unknown } }>(dir, 'inventory-stable', stableFactsKey());
    expect(again?.os.platform).toBe(process.platform);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('inventory users', () => {
  it('parses who(1) output: the login name of each line', async () => {
    const { parseWho } = await import('../../agent/src/inventory/users.js');
    // coreutils `who` default format (NAME LINE TIME COMMENT), as on a Debian 12 desktop with an
    // X session, two terminals and an SSH login.
    const fixture = ['alice    tty7         2026-12-06 09:12 (:0)', 'alice    pts/0        2026-12-06 09:13 (:0)', 'bob      pts/1        2026-12-06 10:02 (192.0.2.7)', ''].join('\n');
    expect(parseWho(fixture)).toEqual(['alice', 'alice', 'bob']);
    expect(parseWho('')).toEqual([]);
  });

  it.skipIf(process.platform !== 'linux')('runs the allowlisted who on this host (no shell) and the inventory lists what it returned', async () => {
    const { loggedInUsers } = await import('../../agent/src/inventory/users.js');
    const { defaultRunner } = await import('../../agent/src/exec/runner.js');
    const names = await loggedInUsers('linux', defaultRunner().run);
    expect(Array.isArray(names)).toBe(true);
    const inv = await collectInventory({ cacheDir: freshDir() });
    expect(inv.users).toEqual([...new Set(names)].slice(0, 64));
  });
});
