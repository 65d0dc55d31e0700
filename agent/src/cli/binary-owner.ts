/**
 * Whether a root service may run a binary: every path component (after resolving symlinks)
 * must be owned by root and not writable by group or others (a sticky directory such as /tmp
 * excepted, above a root-owned entry), or a local user could replace
 * what root runs (and, with self-update, what root keeps running). Unix only; Windows service
 * binaries go under Program Files, whose ACL is the installer's business.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Null when safe; otherwise the first component another account can change, and why. */
export function binaryNotRootOnly(bin: string): string | null {
  let p: string;
  try {
    p = realpathSync(bin);
  } catch (e) {
    return `${bin}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  for (let cur = p; ; cur = dirname(cur)) {
    const st = statSync(cur);
    if (st.uid !== 0) return `${cur} belongs to uid ${st.uid}`;
    // A sticky directory (/tmp) lets others add entries but not replace the root-owned one below it.
    const sticky = cur !== p && st.isDirectory() && (st.mode & 0o1000) !== 0;
    if (st.mode & 0o022 && !sticky) return `${cur} is writable by ${st.mode & 0o002 ? 'every user' : `group ${st.gid}`} (mode ${(st.mode & 0o7777).toString(8)})`;
    if (cur === dirname(cur)) return null;
  }
}
