/**
 * File reads for probes, with a root prefix. The root prefix lets the agent inspect a
 * mounted image, chroot or container filesystem from the outside: with root=/mnt/img,
 * `/etc/modprobe.d` is read from `/mnt/img/etc/modprobe.d`, and `/proc/...` from
 * `/mnt/img/proc/...` (bind-mount the target's /proc there to see its processes).
 * The prefix comes from an explicit option or POSTURE_ROOT; '' means the live system.
 * Commands are not affected: they always observe the live system.
 * Like the runner, these never throw.
 */
import { open, readdir, stat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunError } from './runner.js';

export interface FileOptions {
  root?: string;
  /** Read at most this many bytes (default 1 MiB); the rest is ignored. */
  maxBytes?: number;
}

export type FileResult<T> = { ok: true; value: T } | { ok: false; error: Exclude<RunError, null>; message: string };

/** The effective root prefix: explicit option, else POSTURE_ROOT, else the live system. */
export function resolveRoot(root?: string): string {
  const r = root ?? process.env.POSTURE_ROOT ?? '';
  return r === '/' ? '' : r.replace(/\/+$/, '');
}

function under(path: string, root?: string): string {
  const r = resolveRoot(root);
  return r ? join(r, path) : path;
}

function failure<T>(e: unknown): FileResult<T> {
  const code = (e as NodeJS.ErrnoException).code;
  const error = code === 'ENOENT' || code === 'ENOTDIR' ? 'not_found' : code === 'EACCES' || code === 'EPERM' ? 'permission_denied' : 'failed';
  return { ok: false, error, message: (e as Error).message };
}

export async function readText(path: string, opts: FileOptions = {}): Promise<FileResult<string>> {
  const max = opts.maxBytes ?? 1024 * 1024;
  try {
    // Read only the first `max` bytes: a ClamAV database is 60 MB and we want its header.
    const fh = await open(under(path, opts.root), 'r');
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      while (total < max) {
        const buf = Buffer.alloc(Math.min(65536, max - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
      }
      return { ok: true, value: Buffer.concat(chunks).toString('utf8') };
    } finally {
      await fh.close();
    }
  } catch (e) {
    return failure(e);
  }
}

export async function listDir(path: string, opts: FileOptions = {}): Promise<FileResult<string[]>> {
  try {
    return { ok: true, value: (await readdir(under(path, opts.root))).sort() };
  } catch (e) {
    return failure(e);
  }
}

export async function statFile(path: string, opts: FileOptions = {}): Promise<FileResult<{ mtimeMs: number; size: number; isDir: boolean }>> {
  try {
    const s = await stat(under(path, opts.root));
    return { ok: true, value: { mtimeMs: s.mtimeMs, size: s.size, isDir: s.isDirectory() } };
  } catch (e) {
    return failure(e);
  }
}

export async function readLink(path: string, opts: FileOptions = {}): Promise<FileResult<string>> {
  try {
    return { ok: true, value: await readlink(under(path, opts.root)) };
  } catch (e) {
    return failure(e);
  }
}
