/**
 * Replacing the agent's own executable with a verified, trialled new one.
 *
 *  POSIX  the old binary is hard-linked (or copied) to `<exe>.previous`, then the staged file
 *         is renamed over `<exe>`: one atomic rename(2); the running process keeps its inode.
 *  win32  a running .exe cannot be overwritten or deleted (the image section holds it open
 *         without FILE_SHARE_DELETE), but it can be renamed: `<exe>` is renamed to
 *         `<exe>.old`, the staged file is renamed into `<exe>`, and the agent then exits so
 *         the service manager starts the new one (WinSW `<onfailure action="restart"/>`,
 *         packaging/windows). If the second rename fails, `<exe>.old` is renamed back: the
 *         installed binary is never missing. `<exe>.old` is the previous version (the
 *         counterpart of `.previous`); it is deleted at the next update, when nothing runs it.
 *
 * The file operations come in through SwapFs (node:fs by default) and the platform is a
 * parameter, so the win32 sequence runs, with the real file system, on any machine.
 */
import { copyFileSync, existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file operations a swap uses (node:fs semantics; errors are thrown). */
export interface SwapFs {
  rename(from: string, to: string): void;
  remove(path: string): void;
  link(existing: string, created: string): void;
  copy(from: string, to: string): void;
  exists(path: string): boolean;
}

export const nodeSwapFs: SwapFs = {
  rename: renameSync,
  remove: (p) => rmSync(p, { force: true }),
  link: linkSync,
  copy: copyFileSync,
  exists: existsSync,
};

/**
 * Where a new binary is downloaded and trialled beside `exe`. On Windows it keeps the .exe
 * extension, so it can be started for its `--version` check and trial like any program.
 */
export function stagedPath(exe: string, platform: NodeJS.Platform): string {
  const dir = dirname(exe);
  const name = basename(exe);
  if (platform === 'win32') return join(dir, `${name.replace(/\.exe$/i, '')}.staged.exe`);
  return join(dir, `.${name}.staged`);
}

/** Where the replaced binary is kept: `<exe>.old` on Windows, `<exe>.previous` elsewhere. */
export const previousPath = (exe: string, platform: NodeJS.Platform) => `${exe}${platform === 'win32' ? '.old' : '.previous'}`;

/**
 * Put `staged` in place of `exe`. Returns where the old binary now is. Throws (with the old
 * binary back in place on Windows) when the swap cannot be made; the caller then deletes the
 * staged file and keeps running the old version.
 */
export function swapBinary(o: { exe: string; staged: string; platform: NodeJS.Platform; fs?: SwapFs }): { previous: string } {
  const fs = o.fs ?? nodeSwapFs;
  const previous = previousPath(o.exe, o.platform);
  if (o.platform !== 'win32') {
    fs.remove(previous);
    try {
      fs.link(o.exe, previous);
    } catch {
      fs.copy(o.exe, previous);
    }
    fs.rename(o.staged, o.exe);
    return { previous };
  }
  // A leftover .old is the version before the previous one; nothing runs it any more.
  fs.remove(previous);
  fs.rename(o.exe, previous);
  try {
    fs.rename(o.staged, o.exe);
  } catch (e) {
    fs.rename(previous, o.exe);
    throw new Error(`could not move the new binary into place (${(e as Error).message}); ${basename(o.exe)} was restored`);
  }
  return { previous };
}
