import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { plainNetworkError } from '../identity/pending.js';

describe('plainNetworkError (issue 18 #2: no raw ECONNREFUSED in status)', () => {
  it('turns a real refused connection into plain words', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const err = await fetch(`http://127.0.0.1:${port}/`).then(() => null, (e: Error) => e);
    const msg = plainNetworkError(err!, `http://127.0.0.1:${port}`);
    expect(msg).toMatch(/cannot reach the collector at http:\/\/127\.0\.0\.1:\d+ \(connection refused: the collector is not running/);
    expect(msg).not.toMatch(/ECONNREFUSED/);
  });
});
