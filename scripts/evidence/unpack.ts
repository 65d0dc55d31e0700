/**
 * Unpack an evidence .tar.gz into a directory, streaming: entries must be plain files named
 * "<one top-level folder>/<safe name>"; anything else (links, nested paths, "..") is refused,
 * so a hostile archive cannot write outside the target.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { isSafeBundlePath } from '#shared/evidence/manifest.js';

export interface UnpackProgress {
  files: number;
  name?: string;
}

export async function unpackTarGz(input: Readable, outDir: string, onFile?: (p: UnpackProgress) => void): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const parts = h.name.split('/').filter(Boolean);
      const name = parts[parts.length - 1] ?? '';
      // Archives made with tar(1) carry the top-level folder as its own entry.
      if (h.type === 'directory' && parts.length === 1) {
        entry.resume();
        continue;
      }
      if (h.type !== 'file' || parts.length > 2 || !isSafeBundlePath(name) || names.includes(name)) {
        entry.resume();
        throw new Error(`refusing archive entry ${JSON.stringify(h.name.slice(0, 100))} (${h.type})`);
      }
      await pipeline(entry, createWriteStream(join(outDir, name), { flags: 'wx' }));
      names.push(name);
      onFile?.({ files: names.length, name });
    }
  })();
  await Promise.all([pipeline(input, createGunzip(), extract as unknown as Writable), done]);
  return names;
}
