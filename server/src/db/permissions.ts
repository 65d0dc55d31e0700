/**
 * The embedded store is private to the collector's user (issue 11 #3): PGlite writes its files
 * with the process umask (0666 & ~umask: world-readable under the usual 022), WAL included, and
 * the WAL holds the evidence-signing private key and every row. So before PGlite opens: umask
 * 077 for this process, and every existing directory under the data dir 0700, every file 0600
 * (a data dir created by an older version, or copied with cp -r, is fixed at start).
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Make `dataDir` and everything in it owner-only. Symlinks are left alone (never followed). Returns how many modes changed. */
export function applyStorePermissions(dataDir: string): number {
  if (process.platform === 'win32') return 0; // ACLs of %ProgramData% subfolders; see docs/security.md
  process.umask(0o077);
  let changed = 0;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) {
      chmodSync(p, want);
      changed++;
    }
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dataDir);
  return changed;
}
