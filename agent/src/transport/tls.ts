/**
 * TLS options for wss://: the system trust store (Node's default CAs plus, where available,
 * the OS store), an optional extra CA file, and optional pinning of the collector's public
 * key (base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as in HPKP / curl --pinnedpubkey).
 */
import { readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import tls, { type PeerCertificate } from 'node:tls';

export interface TlsSettings {
  caFile?: string;
  pinSha256?: string[];
}

export function spkiSha256(certDer: Buffer): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export function tlsOptions(s: TlsSettings): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  if (s.caFile) {
    // Extra CA in addition to (not instead of) the default roots.
    const sys = typeof (tls as { getCACertificates?: (t: string) => string[] }).getCACertificates === 'function'
      ? (tls as unknown as { getCACertificates: (t: string) => string[] }).getCACertificates('system')
      : [];
    opts.ca = [...tls.rootCertificates, ...sys, readFileSync(s.caFile, 'utf8')];
  }
  if (s.pinSha256?.length) {
    const pins = new Set(s.pinSha256);
    opts.checkServerIdentity = (host: string, cert: PeerCertificate): Error | undefined => {
      const err = tls.checkServerIdentity(host, cert);
      if (err) return err;
      const got = spkiSha256(cert.raw);
      if (!pins.has(got)) return new Error(`collector public key pin mismatch: got sha256/${got}, expected one of ${[...pins].map((p) => `sha256/${p}`).join(', ')}`);
      return undefined;
    };
  }
  return opts;
}
