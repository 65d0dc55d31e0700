/**
 * Bundle files on disk: each is written to a temp directory while its SHA-256 is computed
 * (tar entries need their size up front, and the manifest needs every hash before it is
 * signed), then the directory is streamed into a gzip'd tar. Writes honour backpressure, so
 * memory stays bounded however large a file grows.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ManifestFile } from '#shared/evidence/manifest.js';

export class HashedFile {
  private readonly out: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private failed: Error | null = null;

  constructor(readonly dir: string, readonly path: string) {
    this.out = createWriteStream(join(dir, path), { flags: 'wx' });
    this.out.on('error', (e) => (this.failed = e));
  }

  /** Append text; resolves when the stream can take more (backpressure). */
  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    const buf = Buffer.from(text, 'utf8');
    this.hash.update(buf);
    this.bytes += buf.length;
    if (!this.out.write(buf)) await new Promise<void>((res, rej) => {
      const onErr = (e: Error) => rej(e);
      this.out.once('drain', () => (this.out.off('error', onErr), res()));
      this.out.once('error', onErr);
    });
  }

  async close(): Promise<ManifestFile> {
    await new Promise<void>((res, rej) => this.out.end((e?: Error | null) => (e ? rej(e) : res())));
    if (this.failed) throw this.failed;
    return { path: this.path, sha256: this.hash.digest('hex'), bytes: this.bytes };
  }
}

/** Write one small file whole. */
export async function writeWhole(dir: string, path: string, text: string): Promise<ManifestFile> {
  const f = new HashedFile(dir, path);
  await f.write(text);
  return f.close();
}

/** Stream files of `dir` (in the given order) as a .tar.gz, each under `prefix/`. */
export function tarGzStream(dir: string, names: string[], prefix: string, mtime: Date): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const gz = createGzip();
  void (async () => {
    for (const name of names) {
      const p = join(dir, name);
      const size = (await stat(p)).size;
      const entry = pack.entry({ name: `${prefix}/${name}`, size, mtime, mode: 0o644 });
      await pipeline(createReadStream(p), entry);
    }
    pack.finalize();
  })().catch((e) => pack.destroy(e));
  pipeline(pack, gz, out).catch((e) => out.destroy(e));
  return out;
}
