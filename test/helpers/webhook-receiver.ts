/** A real HTTP webhook receiver on 127.0.0.1 for alert tests: records every request with its raw body. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit { status: number; headers: IncomingHttpHeaders; raw: string; body: any; at: number }

/** A real receiver; `answer` picks the status for the n-th request (0-based). */
export async function receiver(answer: (n: number) => number): Promise<{ url: string; hits: Hit[]; close: () => Promise<void> }> {
  const hits: Hit[] = [];
  const srv: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const status = answer(hits.length);
      hits.push({ status, headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, hits, close: () => new Promise((r) => srv.close(() => r())) };
}

