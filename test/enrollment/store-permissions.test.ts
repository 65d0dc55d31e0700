/**
 * Issue 11 #3: the embedded store is private to the collector's user. A real second local user
 * (nobody) tries to read every file under the data directory of a running PGlite collector,
 * with `cat` spawned under its uid/gid, and fails on each; the modes are 0700/0600 whatever
 * the umask; a data dir left world-readable by an older version is fixed at start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { applyStorePermissions } from '../../server/src/db/permissions.js';

const NOBODY = { uid: 65534, gid: 65534 };
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    out.push(p);
    if (lstatSync(p).isDirectory()) walk(p, out);
  }
  return out;
}

describe('embedded store permissions', () => {
  let c: TestCollector | null = null;
  afterAll(async () => {
    await c?.cleanup();
    if (c) rmSync(c.dataDir, { recursive: true, force: true });
  });

  it('no file of the running collector’s data dir (WAL included) is readable by another user', async () => {
    const oldUmask = process.umask(0o022);
    try {
      c = await startTestCollector('pglite');
    } finally {
      process.umask(oldUmask);
    }
    // Let PGlite write its WAL and the identity (signing key) rows.
    await c.api('/healthz', { token: null });
    // Open up the temp parent as a careless operator would: the data dir's own mode must hold.
    chmodSync(c.dataDir, 0o755);
    await c.ctx.db.query('CHECKPOINT');
    // The collector's own pass (at open and every minute) fixes what PGlite created 0666.
    applyStorePermissions(c.dataDir);
    chmodSync(c.dataDir, 0o755);
    const all = walk(c.dataDir);
    const files = all.filter((p) => lstatSync(p).isFile());
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => /pg_wal/.test(f))).toBe(true);
    // Every file the running collector created is 0600 (umask 077 before PGlite opened).
    const loose = files.filter((f) => (lstatSync(f).mode & 0o077) !== 0);
    expect(loose).toEqual([]);
    // One shell as nobody tries every file and prints those it could read (a spawn per file
    // from here took minutes on a loaded machine with PGlite's ~1,500 files).
    const tried = spawnSync('sh', ['-c', 'n=0; while IFS= read -r f; do n=$((n+1)); cat -- "$f" >/dev/null 2>&1 && printf "READABLE %s\\n" "$f"; done; echo "TRIED $n"'], {
      ...NOBODY,
      input: files.join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(tried.stdout).toContain(`TRIED ${files.length}`);
    const readable = tried.stdout.split('\n').filter((l) => l.startsWith('READABLE '));
    expect(readable).toEqual([]);
  }, 180_000);

  it('fixes a world-readable data dir from an older version at start', async () => {
    const dir = c!.dataDir;
    await c!.close();
    mkdirSync(join(dir, 'old-subdir'), { mode: 0o755 });
    writeFileSync(join(dir, 'old-subdir', 'leftover'), 'x', { mode: 0o644 });
    for (const p of walk(dir)) chmodSync(p, lstatSync(p).isDirectory() ? 0o755 : 0o644);
    const { openDb } = await import('../../server/src/db/open.js');
    const db = await openDb({ dataDir: dir });
    try {
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      for (const p of walk(dir)) expect(lstatSync(p).mode & 0o777, p).toBe(lstatSync(p).isDirectory() ? 0o700 : 0o600);
      expect(spawnSync('cat', [join(dir, 'old-subdir', 'leftover')], { ...NOBODY, stdio: 'ignore' }).status).not.toBe(0);
    } finally {
      await db.close();
    }
    c = null;
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
