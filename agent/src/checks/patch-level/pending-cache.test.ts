import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fail, fakeContext, fixture, ok } from '../../../../test/agent/fake-context.js';
import { readCache, writeCache } from '../cache.js';
import { collectLinux } from './linux.js';
import { clearPendingMemory } from './pending-cache.js';

const fx = (n: string) => fixture('patch-level', n);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posture-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(clearPendingMemory);

describe('probe cache files', () => {
  it('round trip under the same key; another key misses; no dir means no cache', async () => {
    await writeCache(dir, 'x', 'k1', { a: 1 });
    expect(await readCache(dir, 'x', 'k1')).toEqual({ a: 1 });
    expect(await readCache(dir, 'x', 'k2')).toBeNull();
    expect(await readCache(null, 'x', 'k1')).toBeNull();
    expect(await readCache(dir, 'missing', 'k1')).toBeNull();
  });
  it('a cache file others can write, or garbage, is not trusted', async () => {
    await writeCache(dir, 'shared', 'k', { pending: 0 });
    await chmod(join(dir, 'shared.json'), 0o666);
    expect(await readCache(dir, 'shared', 'k')).toBeNull();
    await writeFile(join(dir, 'garbage.json'), '{not json', { mode: 0o600 });
    expect(await readCache(dir, 'garbage', 'k')).toBeNull();
  });
});

describe('apt pending updates persist across processes', () => {
  const ctx = (status: string, apt: ReturnType<typeof ok>) =>
    fakeContext({
      commands: { 'apt-get': apt },
      files: { '/etc/os-release': fx('os-release.debian12.txt'), '/var/lib/dpkg/status': status, '/var/lib/apt/lists/x_Packages': 'P' },
    });
  it('second "process" reads the disk cache; a dpkg change recomputes; failures are not stored', async () => {
    const first = { ...ctx('Package: a\n', ok(fx('apt-get-s-upgrade.ubuntu22.security.txt'))), cacheDir: dir };
    const a = await collectLinux(first);
    expect(first.calls.some((c) => c.startsWith('apt-get'))).toBe(true);
    expect(a.facts).toMatchObject({ pendingUpdates: 3, pendingSecurityUpdates: 2 });
    expect((await readdir(dir)).filter((f) => f.startsWith('pending-apt'))).toHaveLength(1);

    clearPendingMemory(); // a new agent process: only the disk remains
    const second = { ...ctx('Package: a\n', fail('timeout', '', null)), cacheDir: dir };
    const b = await collectLinux(second);
    expect(second.calls.some((c) => c.startsWith('apt-get'))).toBe(false);
    expect(b.facts).toMatchObject({ pendingUpdates: 3, pendingSecurityUpdates: 2 });
    expect(b.detail?.pendingFrom).toMatch(/cache \(disk\)/);

    clearPendingMemory();
    const changed = { ...ctx('Package: a\nPackage: b\n', fail('timeout', '', null)), cacheDir: dir };
    const c = await collectLinux(changed);
    expect(changed.calls.some((x) => x.startsWith('apt-get'))).toBe(true);
    expect(c.facts.pendingUpdates).toBeNull(); // the stale answer was not reused

    clearPendingMemory();
    const again = { ...ctx('Package: a\nPackage: b\n', ok(fx('apt-get-s-upgrade.ubuntu22.uptodate.txt'))), cacheDir: dir };
    expect((await collectLinux(again)).facts.pendingUpdates).toBe(0); // the timeout was not cached
  });
});
