/**
 * Decompresses a TUF-verified gzip target (RFC 1952) into the executable it stands for, with
 * a hard cap: never more than the signed uncompressed length reaches the disk, so a small file
 * that expands without end (a decompression bomb) costs at most that many bytes. The output's
 * SHA-256 is computed in the same stream and must equal the signed one; on any failure the
 * output file is removed. The compressed bytes must already have passed TUF's length and hash
 * check (updater.ts): gunzip only ever sees bytes the targets key signed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { UncompressedInfo } from '#shared/policy/agent-targets.js';

/** Why a decompressed target was refused (the message names the signed figure it broke). */
export class DecompressRefused extends Error {}

/**
 * gunzip `src` into `dst` (created with mode 0700, replaced if present). Resolves when `dst`
 * holds exactly `expect.length` bytes with SHA-256 `expect.sha256`; rejects with
 * DecompressRefused when the output would pass the length, ends short of it or hashes
 * differently, and with zlib's error for a corrupt stream. `dst` is removed on rejection.
 */
export async function gunzipVerified(src: string, dst: string, expect: UncompressedInfo): Promise<void> {
  const hash = createHash('sha256');
  let written = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      // Checked before the chunk is passed on: the bytes past the cap are never written.
      if (written + chunk.length > expect.length) return done(new DecompressRefused(`decompressed target is larger than its signed length ${expect.length} (refused as a decompression bomb)`));
      written += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (written !== expect.length) return done(new DecompressRefused(`decompressed target has ${written} bytes, its signed length is ${expect.length}`));
      const got = hash.digest('hex');
      if (got !== expect.sha256) return done(new DecompressRefused(`decompressed target's SHA-256 ${got} is not the signed ${expect.sha256}`));
      done();
    },
  });
  try {
    await pipeline(createReadStream(src), createGunzip(), cap, createWriteStream(dst, { mode: 0o700 }));
  } catch (e) {
    rmSync(dst, { force: true });
    throw e;
  }
}
