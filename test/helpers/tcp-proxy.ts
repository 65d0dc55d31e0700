/**
 * A TCP proxy in front of PostgreSQL that a test can switch off and on: connections are cut
 * and new ones refused, exactly what a collector sees when its database fails over — without
 * disturbing the shared PostgreSQL server other tests use.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((res, rej) => server.once('error', rej).listen(this.port, '127.0.0.1', () => res()));
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise((r) => s.close(() => r(null)));
  }
}

/** The same database URL, reached through the proxy's port. */
export function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
