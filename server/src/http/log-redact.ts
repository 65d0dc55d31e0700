/**
 * Request logs never carry credentials: My-device link tokens travel as `?t=…`, OIDC
 * callbacks as `?code=…&state=…`. Their values are replaced before the line is written.
 */
import type { FastifyRequest } from 'fastify';

const SECRET_PARAMS = new Set(['t', 'token', 'code', 'state', 'secret', 'access_token', 'id_token']);

/** The URL with the values of credential-bearing query parameters replaced by "[redacted]". */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((kv) => {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    let name = key;
    try {
      name = decodeURIComponent(key.replaceAll('+', ' '));
    } catch {
      /* keep as sent */
    }
    return SECRET_PARAMS.has(name.toLowerCase()) && eq >= 0 ? `${key}=[redacted]` : kv;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** pino serializers for fastify's request log lines. */
export const requestLogSerializers = {
  req(req: FastifyRequest) {
    return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
  },
};
