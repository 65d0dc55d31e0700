/** Re-check (check-now): record the command, deliver it wherever the device is connected, say whether it was sent or queued. */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context.js';
import { Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { isConnected } from './dal.js';

/** How long an undelivered re-check waits for the device to reconnect (gateway/connection.ts resends it). */
export const CHECK_NOW_QUEUE_HOURS = 24;

/**
 * What happens to a re-check just issued: sent now (`connected: true`), or queued until the
 * device reconnects, at most until `queuedUntil`. `connected` is always a boolean.
 */
export async function checkNowDelivery(ctx: Ctx, deviceId: string): Promise<{ connected: boolean; queuedUntil: string | null }> {
  const connected = ctx.hub.isLocal(deviceId) || (await isConnected(ctx.db, deviceId));
  return { connected, queuedUntil: connected ? null : new Date(Date.now() + CHECK_NOW_QUEUE_HOURS * 3600_000).toISOString() };
}

/** Record a check-now command and deliver it to the device wherever it is connected. */
export async function issueCheckNow(ctx: Ctx, deviceId: string, actor: string, checks?: string[], ip?: string): Promise<string> {
  const commandId = `cmd_${randomUUID()}`;
  await ctx.db.tx(async (q) => {
    const d = await q.query('SELECT 1 FROM devices WHERE id = $1 AND revoked_at IS NULL', [deviceId]);
    if (!d.rows[0]) throw Errors.notFound('Active device');
    await q.query('INSERT INTO commands (id, device_id, command, payload, created_by, delivered_at) VALUES ($1,$2,$3,$4,$5, now())', [
      commandId, deviceId, 'check-now', JSON.stringify({ checks: checks ?? null }), actor,
    ]);
    if (!actor.startsWith('device-link:')) await audit(q, { actor, action: 'device.check_now', target: deviceId, ip, detail: { commandId, checks } });
  });
  await ctx.hub.sendCommand(deviceId, { type: 'command', commandId, command: 'check-now', ...(checks ? { checks: checks as never } : {}) });
  return commandId;
}
