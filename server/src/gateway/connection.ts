/**
 * One authenticated agent socket: every frame is size- and rate-checked, decoded as strict
 * UTF-8, depth-limited, schema-validated, then dispatched. Anything invalid closes the
 * socket with a reason; nothing an agent sends can throw out of this handler.
 */
import type { WebSocket, RawData } from 'ws';
import { AgentMessage, CLOSE, FEATURE_SOFTWARE_DELTA, FEATURE_UPDATE_STATUS, type ServerCommand } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import { parseJsonLimited } from '#shared/protocol/json.js';
import { compile } from '#shared/schema/validate.js';
import type { Db } from '../db/types.js';
import type { IngestBatcher, IngestOutcome } from '../ingest/batcher.js';
import { verifyReport, type VerifyResult } from '../ingest/verify.js';
import type { DeviceAuthInfo, DeviceKeyCache } from './device-keys.js';
import type { AgentConnection, Hub } from './hub.js';
import { completeKeyRotation } from '../commands/rotate-key.js';
import { recordUpdateStatus } from '../updates/status.js';

const validateMessage = compile(AgentMessage);
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface ConnectionDeps {
  db: Db;
  keys: DeviceKeyCache;
  hub: Hub;
  batcher: IngestBatcher;
  log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void; error: (o: object, m: string) => void };
  metrics?: { reportAcked(ms: number): void; reportRejected(): void; connectionClosed(code: number): void };
  /** The first message (may look the device's own policy up: its groups' overrides). */
  welcome: (deviceId: string) => object | Promise<object>;
  /** Connected/offline state shared across collectors (gateway/presence.ts). */
  presence?: { connected(deviceId: string, since: number): void; disconnected(deviceId: string, since: number): void };
  /**
   * Report verification off the event loop (ingest/verify-pool.ts, POSTURE_VERIFY_WORKERS);
   * verifyReport in this thread when absent.
   */
  verify?: (info: DeviceAuthInfo, messageId: string, jws: string) => Promise<VerifyResult>;
  /** Socket authentications in flight before upgrades are refused with 503 (default 64). */
  maxAuthenticating?: number;
}

/**
 * Rate windows per device, not per socket: reconnecting must not reset a flooding device's
 * budget. Entries of idle devices are pruned as the map grows.
 */
const rateByDevice = new Map<string, { windowStart: number; msgs: number; bytes: number }>();
function rateFor(deviceId: string, now: number) {
  let r = rateByDevice.get(deviceId);
  if (!r) {
    if (rateByDevice.size > 50_000) for (const [k, v] of rateByDevice) if (now - v.windowStart > LIMITS.rateWindowMs) rateByDevice.delete(k);
    rateByDevice.set(deviceId, (r = { windowStart: now, msgs: 0, bytes: 0 }));
  }
  if (now - r.windowStart > LIMITS.rateWindowMs) {
    r.windowStart = now;
    r.msgs = 0;
    r.bytes = 0;
  }
  return r;
}

export function attachConnection(ws: WebSocket, deviceId: string, kid: string, deps: ConnectionDeps): AgentConnection {
  let inFlight = 0;
  let closed = false;
  let alive = true;
  const openedAt = Date.now();

  const conn: AgentConnection = {
    deviceId,
    send(msg) {
      if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    },
    close(code, reason) {
      if (closed) return;
      closed = true;
      try {
        ws.close(code, reason.slice(0, 120));
      } catch {
        ws.terminate();
      }
      // A peer that never answers the close handshake must not hold the slot.
      setTimeout(() => ws.terminate(), 5_000).unref();
    },
  };
  const drop = (code: number, reason: string) => {
    deps.log.warn({ deviceId, code, reason }, 'closing agent connection');
    conn.close(code, reason);
  };

  // Heartbeat: a peer that misses two pings is dead (laptop lid closed, NAT dropped).
  const ping = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, 30_000);
  ping.unref();
  ws.on('pong', () => (alive = true));

  ws.on('message', (data: RawData, isBinary: boolean) => {
    alive = true;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const rate = rateFor(deviceId, Date.now());
    rate.msgs++;
    rate.bytes += buf.length;
    if (rate.msgs > LIMITS.rateMaxMessages || rate.bytes > LIMITS.rateMaxBytes) return drop(CLOSE.rateLimited, 'rate limit exceeded');
    if (isBinary) return drop(CLOSE.invalidMessage, 'binary frames are not accepted');
    let text: string;
    try {
      text = decoder.decode(buf);
    } catch {
      return drop(CLOSE.invalidMessage, 'message is not valid UTF-8');
    }
    const parsed = parseJsonLimited(text, LIMITS.maxJsonDepth);
    if (!parsed.ok) return drop(CLOSE.invalidMessage, parsed.error);
    const v = validateMessage.validate(parsed.value);
    if (!v.ok) return drop(CLOSE.invalidMessage, `invalid message: ${v.errors[0]}`);
    void handle(v.value).catch((err) => deps.log.error({ deviceId, err: (err as Error).message }, 'agent message handler failed'));
  });

  let ordered: Promise<unknown> = Promise.resolve();

  /** Resolves with the batcher's promise, boxed so the chain does not wait for the commit; null when answered already. */
  async function verifyAndSubmit(id: string, jws: string): Promise<{ outcome: Promise<IngestOutcome> } | null> {
    const info = await deps.keys.get(deviceId).catch(() => null);
    if (!info) {
      conn.send({ type: 'retry', id, retryAfterMs: 5_000 });
      return null;
    }
    if (info.revokedAt) {
      drop(CLOSE.revoked, 'device revoked');
      return null;
    }
    const vr = await (deps.verify ?? verifyReport)(info, id, jws);
    if (!vr.ok) {
      // The pool's own outcomes (busy, worker lost) are retries it has logged, not rejections.
      if (!vr.code.startsWith('verifier_')) {
        deps.metrics?.reportRejected();
        deps.log.warn({ deviceId, reportId: id, code: vr.code }, 'report rejected');
      }
      if (vr.retryAfterMs !== undefined) conn.send({ type: 'retry', id, retryAfterMs: vr.retryAfterMs });
      else conn.send({ type: 'reject', id, code: vr.code, message: vr.message });
      return null;
    }
    return { outcome: deps.batcher.submit(vr.report) };
  }

  async function handle(msg: AgentMessage): Promise<void> {
    switch (msg.type) {
      case 'hello':
        return;
      case 'update-status':
        // Rate limits above bound how often; storage failure loses only a status the agent
        // sends again on its next connection.
        return recordUpdateStatus(deps.db, deviceId, msg);
      case 'report': {
        if (inFlight >= LIMITS.maxInFlight * 2) return drop(CLOSE.rateLimited, 'too many reports in flight');
        inFlight++;
        const t0 = performance.now();
        // Verify in arrival order and hand over to the batcher in that order, so a device's
        // reports are committed in the order it sent them; commits are awaited concurrently.
        const submitted = ordered.then(() => verifyAndSubmit(msg.id, msg.jws));
        ordered = submitted.catch(() => {});
        try {
          const box = await submitted;
          if (!box) return;
          const out = await box.outcome;
          if (out.kind === 'stored' || out.kind === 'duplicate') {
            deps.metrics?.reportAcked(performance.now() - t0);
            conn.send({ type: 'ack', id: msg.id, ...(out.kind === 'duplicate' ? { duplicate: true } : {}) });
          } else if (out.kind === 'retry') conn.send({ type: 'retry', id: msg.id, retryAfterMs: out.retryAfterMs });
          // An unexpected storage failure: never ack, never make the agent drop it; retry much later.
          else conn.send({ type: 'retry', id: msg.id, retryAfterMs: 60_000 });
        } finally {
          inFlight--;
        }
        return;
      }
      case 'command-result': {
        if (msg.oldKeyProof && msg.newKeyProof) {
          const info = await deps.keys.get(deviceId);
          const current = info?.keys.get(kid);
          if (!info || !current) return;
          const r = await completeKeyRotation(deps.db, deviceId, msg.commandId, current, msg.oldKeyProof, msg.newKeyProof).catch((e: Error) => ({ ok: false as const, error: e.message }));
          if (r.ok) {
            await deps.hub.deviceChanged(deviceId, 'keys-changed');
            conn.send({ type: 'ack', id: msg.commandId });
            // The socket was opened with the old key: make the agent reconnect with the new one.
            setTimeout(() => conn.close(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 0 })), 100).unref();
          } else {
            deps.log.warn({ deviceId, error: r.error }, 'key rotation refused');
            conn.send({ type: 'reject', id: msg.commandId, code: 'rotation_refused', message: r.error });
          }
          return;
        }
        await deps.db.query(
          'UPDATE commands SET result = $3, completed_at = CASE WHEN $4::boolean THEN completed_at ELSE now() END WHERE id = $1 AND device_id = $2',
          [msg.commandId, deviceId, JSON.stringify({ ok: msg.ok, error: msg.error ?? null }), msg.ok],
        );
        return;
      }
    }
  }

  ws.on('close', (code) => {
    closed = true;
    clearInterval(ping);
    deps.hub.remove(conn);
    deps.presence?.disconnected(deviceId, openedAt);
    deps.metrics?.connectionClosed(code);
  });
  ws.on('error', () => {});

  deps.hub.add(conn, CLOSE.replaced);
  deps.presence?.connected(deviceId, openedAt);
  // Welcome first, then anything resent on connect (which must not overtake it).
  void Promise.resolve(deps.welcome(deviceId))
    .then((m) => {
      if (!closed) conn.send(m);
      // Message types newer than protocol v1's first set, announced apart from the welcome (older agents check the welcome strictly).
      conn.send({ type: 'features', accepts: [FEATURE_UPDATE_STATUS, FEATURE_SOFTWARE_DELTA] });
      return resendPendingCommands(conn, deps);
    })
    .catch(() => {});
  return conn;
}

/**
 * Commands the device never answered because it was not connected (lid closed, offline, just
 * enrolled, restarting) are sent again when it connects: the most recent unfinished check-now
 * and update-now of the last 24 hours, one of each (both are idempotent; one is enough). An
 * update-now the device answered with any result is not asked again. One indexed query per
 * connection (commands_pending_idx), for both kinds.
 */
async function resendPendingCommands(conn: AgentConnection, deps: ConnectionDeps): Promise<void> {
  const r = await deps.db.query<{ id: string; command: 'check-now' | 'update-now'; payload: { checks?: string[] | null } | null }>(
    `SELECT DISTINCT ON (command) id, command, payload FROM commands
      WHERE device_id = $1 AND completed_at IS NULL AND created_at > now() - interval '24 hours'
        AND (command = 'check-now' OR (command = 'update-now' AND result IS NULL))
      ORDER BY command, created_at DESC`,
    [conn.deviceId],
  );
  for (const cmd of r.rows) {
    if (cmd.command === 'update-now') conn.send({ type: 'command', commandId: cmd.id, command: 'update-now' } satisfies ServerCommand);
    else {
      const checks = (cmd.payload?.checks ?? undefined) as ServerCommand['checks'];
      conn.send({ type: 'command', commandId: cmd.id, command: 'check-now', ...(checks ? { checks } : {}) } satisfies ServerCommand);
    }
  }
}

export type { ServerCommand };
