/**
 * The agent WebSocket endpoint. Authentication happens before any frame is read:
 * the upgrade request's bearer JWT is verified, and a failing socket is closed with a
 * distinct code without ever having a message handler attached.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE, WS_PATH } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import { authenticateDevice } from './device-auth.js';
import { attachConnection, type ConnectionDeps } from './connection.js';

export interface SocketServer {
  /** Stop accepting sockets; tell connected agents to come back later, with jitter. */
  shutdown(): void;
  readonly wss: WebSocketServer;
}

export function attachSocketServer(server: Server, audience: string, deps: ConnectionDeps): SocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxMessageBytes,
    // Compression costs CPU and memory per socket and opens compression-bomb attacks.
    perMessageDeflate: false,
    skipUTF8Validation: true, // we decode strictly ourselves and close with our own code
  });
  let closing = false;
  // Upgrades being authenticated now. Each costs a key lookup and a jti insert; past the cap
  // an upgrade is refused at once with 503 + Retry-After, so a reconnect storm waits at the
  // agents (which add jitter) instead of in the database pool that /healthz and the API share.
  let authenticating = 0;
  const maxAuthenticating = deps.maxAuthenticating ?? 64;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\r\n');
      return;
    }
    if (authenticating >= maxAuthenticating) {
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${1 + Math.floor(Math.random() * 5)}\r\nConnection: close\r\n\r\n`);
      return;
    }
    authenticating++;
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    void authenticateDevice(deps.db, deps.keys, audience, token)
      .catch((err) => {
        deps.log.error({ err: (err as Error).message }, 'agent authentication failed unexpectedly');
        return { ok: false as const, code: CLOSE.retryLater, reason: JSON.stringify({ retryAfterMs: 5000 }) };
      })
      .then((result) => {
        authenticating--;
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          if (!result.ok) {
            deps.log.warn({ code: result.code, reason: result.reason, ip: req.socket.remoteAddress }, 'agent socket refused');
            ws.close(result.code, result.reason.slice(0, 120));
            setTimeout(() => ws.terminate(), 2_000).unref();
            return;
          }
          if (closing) {
            ws.close(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 1000 + Math.floor(Math.random() * 9000) }));
            return;
          }
          attachConnection(ws, result.deviceId, result.kid, deps);
        });
      });
  });

  return {
    wss,
    shutdown() {
      closing = true;
      for (const c of deps.hub.connections()) {
        // Each agent gets its own delay so they do not all return in the same second.
        c.close(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 1000 + Math.floor(Math.random() * 14_000) }));
      }
    },
  };
}
