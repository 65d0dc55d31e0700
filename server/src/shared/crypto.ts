import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

export const sha256hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** A random secret with a readable prefix ("pst_adm_…") so a leaked token is recognisable in logs and scanners. */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

// scrypt N=2^15, r=8, p=1 (OWASP minimum for scrypt); encoded with its parameters so they can change later.
const N = 32768, R = 8, P = 1, KEYLEN = 32;

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const dk = await scrypt(pw, salt, KEYLEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${dk.toString('base64')}`;
}

export async function verifyPassword(pw: string, encoded: string): Promise<boolean> {
  const [alg, n, r, p, saltB64, dkB64] = encoded.split('$');
  if (alg !== 'scrypt' || !dkB64) return false;
  const expected = Buffer.from(dkB64, 'base64');
  const dk = await scrypt(pw, Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return dk.length === expected.length && timingSafeEqual(dk, expected);
}

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a), bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
