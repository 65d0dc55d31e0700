/**
 * Connected/offline state per device, shared by every collector through the database.
 *
 * - A socket opening or closing is buffered and written within `flushMs` (one statement per
 *   kind per flush), so a reconnect storm costs a few statements, not one per agent.
 * - Each collector process is an instance with a heartbeat; a device counts as connected only
 *   while the instance holding its socket is alive. An instance whose heartbeat is older than
 *   `deadAfterMs` (killed, partitioned) is reaped by any other: its devices become offline since
 *   its last heartbeat, which is also their last contact.
 * - "Last seen" is the last contact: connect, disconnect, or a stored report; while connected
 *   the readers show "now" (the socket answers pings every 30 s, see connection.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/types.js';

export interface PresenceOptions {
  flushMs?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  log?: { warn: (o: object, m: string) => void };
}

/** SQL (on `devices`) that is true while the device's socket is held by a live instance. */
export const CONNECTED_SQL = `(connected_via IS NOT NULL AND EXISTS (SELECT 1 FROM collector_instances ci
  WHERE ci.id = devices.connected_via AND ci.heartbeat_at > now() - interval '30 seconds'))`;

/** Last contact: now while connected, else the stored last contact. */
export const LAST_CONTACT_SQL = `(CASE WHEN ${CONNECTED_SQL} THEN now() ELSE last_seen_at END)`;

export class Presence {
  readonly instanceId = `ci_${randomUUID()}`;
  private connects = new Map<string, number>();
  private disconnects: { id: string; since: number; at: number }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private beat: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;

  constructor(private readonly db: Db, private readonly opts: PresenceOptions = {}) {
    this.flushMs = opts.flushMs ?? 100;
    this.heartbeatMs = opts.heartbeatMs ?? 10_000;
    // Readers use 30 s (CONNECTED_SQL); reaping waits a little longer.
    this.deadAfterMs = opts.deadAfterMs ?? 45_000;
  }

  async start(): Promise<void> {
    await this.db.query('INSERT INTO collector_instances (id) VALUES ($1)', [this.instanceId]);
    this.beat = setInterval(() => void this.heartbeat().catch((e) => this.opts.log?.warn({ err: (e as Error).message }, 'presence heartbeat failed')), this.heartbeatMs);
    this.beat.unref();
  }

  /** A socket of this device opened here at `since` (ms). */
  connected(deviceId: string, since: number): void {
    if ((this.connects.get(deviceId) ?? 0) < since) this.connects.set(deviceId, since);
    this.schedule();
  }

  /** The socket opened at `since` closed; a newer socket (here or elsewhere) is left alone. */
  disconnected(deviceId: string, since: number): void {
    this.disconnects.push({ id: deviceId, since, at: Date.now() });
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.flushMs);
    this.flushTimer.unref();
  }

  /** Write what is buffered. Connects first: a close of an older socket then finds the newer one and leaves it. */
  flush(): Promise<void> {
    const connects = [...this.connects].map(([id, since]) => ({ id, since: new Date(since).toISOString() }));
    const disconnects = this.disconnects.map((d) => ({ id: d.id, since: new Date(d.since).toISOString(), at: new Date(d.at).toISOString() }));
    this.connects.clear();
    this.disconnects = [];
    this.flushing = this.flushing.then(async () => {
      if (!connects.length && !disconnects.length) return;
      try {
        if (connects.length)
          await this.db.query(
            `UPDATE devices d SET connected_via = $2, connected_since = x.since, last_seen_at = GREATEST(d.last_seen_at, x.since)
               FROM jsonb_to_recordset($1::jsonb) AS x(id text, since timestamptz)
              WHERE d.id = x.id AND (d.connected_since IS NULL OR d.connected_since <= x.since OR d.connected_via IS NULL)`,
            [JSON.stringify(connects), this.instanceId],
          );
        if (disconnects.length)
          await this.db.query(
            `UPDATE devices d SET connected_via = NULL, disconnected_at = x.at, last_seen_at = GREATEST(d.last_seen_at, x.at)
               FROM jsonb_to_recordset($1::jsonb) AS x(id text, since timestamptz, at timestamptz)
              WHERE d.id = x.id AND d.connected_via = $2 AND d.connected_since = x.since`,
            [JSON.stringify(disconnects), this.instanceId],
          );
      } catch (e) {
        // Presence is advisory: the heartbeat and reaping correct it; never hold up sockets.
        this.opts.log?.warn({ err: (e as Error).message }, 'presence update failed');
      }
    });
    return this.flushing;
  }

  /** Keep this instance alive and reap dead ones (their devices go offline since their last heartbeat). */
  async heartbeat(): Promise<void> {
    const r = await this.db.query('UPDATE collector_instances SET heartbeat_at = now() WHERE id = $1', [this.instanceId]);
    // Reaped by another collector while this process was paused: register again, re-mark our sockets.
    if (r.rowCount === 0) await this.db.query('INSERT INTO collector_instances (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()', [this.instanceId]);
    await this.db.tx(async (q) => {
      const dead = await q.query<{ id: string; heartbeat_at: Date }>(
        `DELETE FROM collector_instances WHERE heartbeat_at < now() - ($1::int * interval '1 millisecond') RETURNING id, heartbeat_at`,
        [this.deadAfterMs],
      );
      if (!dead.rows.length) return;
      await q.query(
        `UPDATE devices d SET connected_via = NULL, disconnected_at = x.heartbeat_at, last_seen_at = GREATEST(d.last_seen_at, x.heartbeat_at)
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, heartbeat_at timestamptz) WHERE d.connected_via = x.id`,
        [JSON.stringify(dead.rows.map((x) => ({ id: x.id, heartbeat_at: new Date(x.heartbeat_at).toISOString() })))],
      );
    });
  }

  /** Graceful stop: write what is buffered, mark this instance's devices offline, leave. */
  async stop(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
    await this.db.query('UPDATE devices SET connected_via = NULL, disconnected_at = now(), last_seen_at = now() WHERE connected_via = $1', [this.instanceId]).catch(() => {});
    await this.db.query('DELETE FROM collector_instances WHERE id = $1', [this.instanceId]).catch(() => {});
  }
}
