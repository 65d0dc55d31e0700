/**
 * gunzipVerified on real gzip streams (node:zlib, RFC 1952). The bomb case writes into a FIFO
 * made with mkfifo(1) and counts what arrives: that is every byte the function wrote, so the
 * cap is shown on the write side, not inferred from the file left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DecompressRefused, gunzipVerified } from './decompress.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('gunzipVerified', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'posture-gunzip-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the signed bytes, and refuses a short or different output, removing it', async () => {
    const data = Buffer.from('posture agent '.repeat(50_000));
    writeFileSync(join(dir, 'a.gz'), gzipSync(data));
    await gunzipVerified(join(dir, 'a.gz'), join(dir, 'a'), { length: data.length, sha256: sha(data) });
    expect(readFileSync(join(dir, 'a')).equals(data)).toBe(true);
    await expect(gunzipVerified(join(dir, 'a.gz'), join(dir, 'b'), { length: data.length + 1, sha256: sha(data) })).rejects.toThrow(/has 700000 bytes, its signed length is 700001/);
    await expect(gunzipVerified(join(dir, 'a.gz'), join(dir, 'b'), { length: data.length, sha256: sha(Buffer.from('x')) })).rejects.toBeInstanceOf(DecompressRefused);
    expect(existsSync(join(dir, 'b'))).toBe(false);
    // A corrupt stream is zlib's error, and nothing is left either.
    const bad = gzipSync(data);
    bad[bad.length - 6] ^= 0xff; // inside the CRC-32 trailer
    writeFileSync(join(dir, 'bad.gz'), bad);
    await expect(gunzipVerified(join(dir, 'bad.gz'), join(dir, 'b'), { length: data.length, sha256: sha(data) })).rejects.toThrow(/incorrect data check|check/);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('never writes more than the signed length of a bomb (64 MiB of zeros, 64 KiB signed)', async () => {
    const cap = 64 * 1024;
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    let received = 0;
    const reader = new Promise<void>((resolve, reject) => createReadStream(fifo).on('data', (c) => (received += c.length)).on('end', resolve).on('error', reject));
    await expect(gunzipVerified(join(dir, 'bomb.gz'), fifo, { length: cap, sha256: sha(Buffer.alloc(cap)) })).rejects.toThrow(/larger than its signed length 65536 \(refused as a decompression bomb\)/);
    await reader;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(cap);
    expect(existsSync(fifo)).toBe(false);
  });
});
