/**
 * File access for custom-check probes, stricter than the built-in probes' reads because the
 * paths come from the policy: absolute, no `..` segment, under the root prefix (a symlink
 * that resolves outside the root is refused), regular files only (a FIFO or /dev/zero would
 * block or never end), opened non-blocking, read up to a byte bound. A symlink loop is a
 * clear error (ELOOP), not a hang. Never writes, never throws.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { pathProblem } from '../../../../shared/src/custom-checks/validate.js';

export type SafeRead<T> = { ok: true; value: T } | { ok: false; missing: boolean; error: string };

export interface FileFacts {
  type: 'file' | 'dir' | 'other';
  mode: string;
  uid: number;
  gid: number;
  size: number;
}

function describe(e: unknown, path: string): SafeRead<never> {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, missing: true, error: `${path} does not exist` };
  if (code === 'ELOOP') return { ok: false, missing: false, error: `${path}: symbolic link loop` };
  if (code === 'EACCES' || code === 'EPERM') return { ok: false, missing: false, error: `${path}: permission denied (run the agent as root/administrator)` };
  return { ok: false, missing: false, error: `${path}: ${(e as Error).message}`.slice(0, 300) };
}

/** Map a policy path to the real path under `root`, refusing `..` and escapes through symlinks. */
async function locate(path: string, root: string): Promise<SafeRead<string>> {
  const bad = pathProblem(path);
  if (bad) return { ok: false, missing: false, error: `${path}: ${bad}` };
  const full = root ? join(root, path) : path;
  try {
    const real = await realpath(full);
    if (root) {
      const realRoot = await realpath(root);
      if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep))
        return { ok: false, missing: false, error: `${path} resolves outside the root prefix ${root}` };
    }
    return { ok: true, value: real };
  } catch (e) {
    return describe(e, path);
  }
}

export async function statPath(path: string, root: string): Promise<SafeRead<FileFacts>> {
  const at = await locate(path, root);
  if (!at.ok) return at;
  try {
    const s = await stat(at.value);
    return {
      ok: true,
      value: { type: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other', mode: (s.mode & 0o7777).toString(8).padStart(4, '0'), uid: s.uid, gid: s.gid, size: s.size },
    };
  } catch (e) {
    return describe(e, path);
  }
}

/** Read a regular file's first `maxBytes`; `truncated` says the file was longer. */
export async function readBounded(path: string, root: string, maxBytes: number): Promise<SafeRead<{ text: string; truncated: boolean }>> {
  const at = await locate(path, root);
  if (!at.ok) return at;
  try {
    const s = await stat(at.value);
    if (!s.isFile()) return { ok: false, missing: false, error: `${path} is not a regular file` };
    const fh = await open(at.value, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
    try {
      // Read in chunks until EOF or one byte past the bound: /proc files report size 0.
      const chunks: Buffer[] = [];
      let total = 0;
      while (total <= maxBytes) {
        const buf = Buffer.alloc(Math.min(65536, maxBytes + 1 - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
      }
      const all = Buffer.concat(chunks);
      const truncated = total > maxBytes;
      return { ok: true, value: { text: all.subarray(0, Math.min(total, maxBytes)).toString('utf8'), truncated } };
    } finally {
      await fh.close();
    }
  } catch (e) {
    return describe(e, path);
  }
}
