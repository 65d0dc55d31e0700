/**
 * One JSON request to the collector over HTTP(S). fetch cannot take a custom CA or a pin, so
 * node:https is used when either is configured (enrollment, pending-enrollment status).
 */
import { Agent as HttpsAgent } from 'node:https';

/** GET when body is undefined, else POST JSON. Resolves with the status and the parsed body (null if not JSON); rejects on network errors. */
export async function postJson(url: string, body: unknown, tls: Record<string, unknown>, timeoutMs = 30_000): Promise<{ status: number; json: any }> {
  // fetch cannot take a custom CA or pin; use node:https when either is configured.
  if (url.startsWith('https:') && Object.keys(tls).length) {
    const { request } = await import('node:https');
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = request(url, { method: body === undefined ? 'GET' : 'POST', agent: new HttpsAgent(tls), headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: null });
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      if (body !== undefined) req.write(data);
      req.end();
    });
  }
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  let json: any = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON */
  }
  return { status: res.status, json };
}
