/**
 * tuf-js fetcher over node:http/https with the agent's own TLS settings (extra CA file and
 * SPKI pins, agent/src/transport/tls.ts), so updates come over the same verified channel as
 * reports. tuf-js enforces the maximum lengths; this only streams and times out.
 */
import http from 'node:http';
import https from 'node:https';
import { BaseFetcher } from 'tuf-js';
// Not re-exported by the package index; the updater recognises a missing next root by this class.
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { tlsOptions, type TlsSettings } from '../transport/tls.js';

export class AgentFetcher extends BaseFetcher {
  constructor(private readonly tls: TlsSettings, private readonly timeoutMs = 60_000) {
    super();
  }

  fetch(url: string): Promise<NodeJS.ReadableStream> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.get(u, { ...(u.protocol === 'https:' ? tlsOptions(this.tls) : {}), timeout: this.timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new DownloadHTTPError(`GET ${u.pathname}: HTTP ${res.statusCode}`, res.statusCode ?? 0));
          return;
        }
        resolve(res);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${u.pathname}: timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
    });
  }
}
