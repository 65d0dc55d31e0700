import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDir, readText, resolveRoot } from './files.js';
import { createRunner } from './runner.js';

const linuxOnly = process.platform !== 'linux';

describe.skipIf(linuxOnly)('runner (real processes)', () => {
  it('refuses a command that is not in the allowlist', async () => {
    const { run } = createRunner({ allowlist: { true: ['/bin/true'] } });
    const r = await run('nft', ['list', 'ruleset']);
    expect(r).toMatchObject({ ok: false, error: 'not_found' });
    expect(r.stderr).toMatch(/not in the allowlist/);
  });
  it('reports a listed tool that is not installed as not_found', async () => {
    const { run } = createRunner({ allowlist: { zfs: ['/nonexistent/zfs'] } });
    expect(await run('zfs', ['list'])).toMatchObject({ ok: false, error: 'not_found' });
  });
  it('runs by absolute path with an argument array (no shell: metacharacters stay literal)', async () => {
    const { run } = createRunner({ allowlist: { lsblk: ['/usr/bin/lsblk', '/bin/lsblk'] } });
    const r = await run('lsblk', ['--version; echo injected']);
    expect(r.stdout + r.stderr).not.toMatch(/^injected$/m);
    expect(r.ok).toBe(false);
  });
  it('sets the C locale', async () => {
    const { run } = createRunner({ allowlist: { 'apt-get': ['/usr/bin/env'] } });
    const r = await run('apt-get', [], { env: { POSTURE_PROBE: '1' } });
    expect(r.stdout).toMatch(/^LC_ALL=C$/m);
    expect(r.stdout).toMatch(/^LANG=C$/m);
  });
  it('kills a command at its timeout', async () => {
    const { run } = createRunner({ allowlist: { sleep: ['/usr/bin/sleep', '/bin/sleep'] } });
    const t = performance.now();
    const r = await run('sleep', ['5'], { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, error: 'timeout' });
    expect(performance.now() - t).toBeLessThan(2000);
  });
  it('caps concurrency', async () => {
    const { run } = createRunner({ allowlist: { sleep: ['/usr/bin/sleep', '/bin/sleep'] }, concurrency: 2 });
    const t = performance.now();
    await Promise.all([1, 2, 3, 4].map(() => run('sleep', ['0.3'])));
    // four 0.3 s sleeps two at a time take two rounds
    expect(performance.now() - t).toBeGreaterThan(550);
  });
  it('caps captured output', async () => {
    const { run } = createRunner({ allowlist: { 'dpkg-query': ['/usr/bin/yes', '/bin/yes'] } });
    const r = await run('dpkg-query', [], { maxBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThanOrEqual(1000);
  });
  it('classifies a non-zero exit with a permission message as permission_denied', async () => {
    const { run } = createRunner({ allowlist: { nft: ['/usr/bin/cat', '/bin/cat'] } });
    const r = await run('nft', ['/nonexistent-file-for-posture'], {});
    expect(r).toMatchObject({ ok: false, error: 'failed' });
    const dir = mkdtempSync(join(tmpdir(), 'posture-run-'));
    writeFileSync(join(dir, 'secret'), 'x', { mode: 0o000 });
    if (process.getuid?.() !== 0) expect((await run('nft', [join(dir, 'secret')])).error).toBe('permission_denied');
  });
});

describe('files with a root prefix', () => {
  it('reads under the prefix, from the option or POSTURE_ROOT', async () => {
    const root = mkdtempSync(join(tmpdir(), 'posture-root-'));
    mkdirSync(join(root, 'etc/modprobe.d'), { recursive: true });
    writeFileSync(join(root, 'etc/modprobe.d/a.conf'), 'blacklist usb-storage\n');
    expect(await readText('/etc/modprobe.d/a.conf', { root })).toEqual({ ok: true, value: 'blacklist usb-storage\n' });
    expect(await listDir('/etc/modprobe.d', { root })).toEqual({ ok: true, value: ['a.conf'] });
    expect(await readText('/etc/modprobe.d/a.conf', { root, maxBytes: 9 })).toEqual({ ok: true, value: 'blacklist' });
    expect(await readText('/etc/missing', { root })).toMatchObject({ ok: false, error: 'not_found' });
    process.env.POSTURE_ROOT = root;
    try {
      expect(resolveRoot()).toBe(root);
      expect((await readText('/etc/modprobe.d/a.conf')).ok).toBe(true);
    } finally {
      delete process.env.POSTURE_ROOT;
    }
    expect(resolveRoot('/')).toBe('');
  });
});
