/**
 * Agent enrollment (public, authenticated by the enrollment secret) and the admin API
 * for enrollment secrets.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { calculateJwkThumbprint } from 'jose';
import { EnrollRequest } from '#shared/protocol/messages.js';
import type { Ctx } from '../context.js';
import { ApiError, Errors } from '../shared/errors.js';
import { newId } from '../shared/crypto.js';
import { audit } from '../audit/log.js';
import { ADMIN } from '../auth/roles.js';
import { ENROLL_RATE_LIMIT, SecretThrottle } from './throttle.js';
import { createEnrollSecret, expireEnrollSecret, listEnrollSecrets, revokeEnrollSecret, useEnrollSecret } from './secrets.js';

export function enrollmentRoutes(ctx: Ctx) {
  const perSecret = new SecretThrottle();
  return async (app: FastifyInstance) => {
    app.get('/agent/v1/info', { config: { auth: 'public' } }, async () => ({
      collectorId: ctx.identity.collectorId,
      fingerprintSalt: ctx.identity.fingerprintSalt,
      version: ctx.version,
    }));

    app.post<{ Body: EnrollRequest }>('/agent/v1/enroll', { config: { auth: 'public', rateLimit: ENROLL_RATE_LIMIT(ctx) }, schema: { body: EnrollRequest } }, async (req, reply) => {
      const b = req.body;
      perSecret.check(ctx, req.ip, b.secret);
      const pub = { kty: 'OKP', crv: 'Ed25519', x: b.publicJwk.x };
      const kid = await calculateJwkThumbprint(pub);
      const inv = b.inventory;
      const result = await ctx.db.tx(async (q) => {
        const s = await useEnrollSecret(q, b.secret);
        if (!s.ok) {
          const code = { unknown: 'POSTURE_ERR_ENROLL_SECRET_INVALID', revoked: 'POSTURE_ERR_ENROLL_SECRET_REVOKED', expired: 'POSTURE_ERR_ENROLL_SECRET_EXPIRED' }[s.reason];
          return { error: new ApiError(s.reason === 'unknown' ? 401 : 403, code, `Enrollment secret ${s.reason === 'unknown' ? 'is not valid' : `has been ${s.reason}`}.`) };
        }
        const keyRow = await q.query<{ device_id: string; revoked_at: Date | null }>('SELECT device_id, revoked_at FROM device_keys WHERE kid = $1', [kid]);
        const existing = await q.query<{ id: string; revoked_at: Date | null }>('SELECT id, revoked_at FROM devices WHERE fingerprint = $1 FOR UPDATE', [b.fingerprint]);
        const dev = existing.rows[0];
        if (keyRow.rows[0]?.revoked_at || (keyRow.rows[0] && dev?.revoked_at))
          return { error: new ApiError(403, 'POSTURE_ERR_KEY_REVOKED', 'This device key has been revoked and cannot enroll again.') };
        if (keyRow.rows[0] && keyRow.rows[0].device_id !== dev?.id)
          return { error: Errors.conflict('This key is already registered to another device.') };
        if (dev?.revoked_at)
          return { error: new ApiError(403, 'POSTURE_ERR_DEVICE_REVOKED', 'This device was revoked; an administrator must restore it before it can enroll again.') };
        const cols = [inv.hostname, inv.os.platform, inv.os.distro ?? null, inv.os.release ?? null, inv.hardware.model ?? null, inv.hardware.serial ?? null, inv.users[0] ?? null, b.agentVersion, JSON.stringify(inv)];
        let deviceId: string;
        if (dev) {
          // Same machine re-enrolling (reinstall, lost state): same asset, new key.
          deviceId = dev.id;
          await q.query(
            `UPDATE devices SET hostname=$2, platform=$3, os_name=$4, os_version=$5, model=$6, serial=$7, owner=COALESCE($8, owner), agent_version=$9, inventory=$10, last_seen_at=now() WHERE id=$1`,
            [deviceId, ...cols],
          );
          await q.query('UPDATE device_keys SET retired_at = now() WHERE device_id = $1 AND retired_at IS NULL AND kid <> $2', [deviceId, kid]);
        } else {
          deviceId = newId('dev');
          await q.query(
            `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, agent_version, inventory, last_seen_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, now())`,
            [deviceId, b.fingerprint, ...cols],
          );
          await q.query(`INSERT INTO state_events (device_id, check_id, from_state, to_state, at) VALUES ($1, '*', NULL, 'unknown', now())`, [deviceId]);
        }
        if (!keyRow.rows[0]) await q.query('INSERT INTO device_keys (kid, device_id, public_jwk) VALUES ($1,$2,$3)', [kid, deviceId, JSON.stringify(pub)]);
        await audit(q, { actor: `enroll-secret:${s.id}`, action: dev ? 'device.reenrolled' : 'device.enrolled', target: deviceId, ip: req.ip, detail: { hostname: inv.hostname, kid } });
        return { deviceId, reenrolled: !!dev };
      });
      if ('error' in result) {
        ctx.refusals.record({ action: 'device.enroll', source: req.ip, reason: result.error!.code });
        throw result.error;
      }
      ctx.keys.invalidate(result.deviceId);
      await ctx.hub.deviceChanged(result.deviceId, 'keys-changed').catch(() => {});
      reply.code(result.reenrolled ? 200 : 201);
      return { deviceId: result.deviceId, keyId: kid, audience: ctx.identity.collectorId, policy: ctx.policy.agentPolicy() };
    });

    app.get('/api/v1/enroll-secrets', { config: { auth: ADMIN } }, async () => ({ items: await listEnrollSecrets(ctx.db) }));

    app.post<{ Body: { label?: string; expiresAt?: string } }>(
      '/api/v1/enroll-secrets',
      {
        config: { auth: ADMIN },
        schema: { body: Type.Object({ label: Type.Optional(Type.String({ maxLength: 200 })), expiresAt: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }) },
      },
      async (req, reply) => {
        const created = await ctx.db.tx(async (q) => {
          const c = await createEnrollSecret(q, { label: req.body.label, createdBy: req.principal!.actor, expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null });
          await audit(q, { actor: req.principal!.actor, action: 'enroll_secret.create', target: c.id, ip: req.ip, detail: { label: req.body.label } });
          return c;
        });
        reply.code(201);
        // The only time the secret is ever shown.
        return { id: created.id, secret: created.secret };
      },
    );

    app.post<{ Params: { id: string } }>('/api/v1/enroll-secrets/:id/revoke', { config: { auth: ADMIN } }, async (req) => {
      const ok = await ctx.db.tx(async (q) => {
        const r = await revokeEnrollSecret(q, req.params.id);
        if (r) await audit(q, { actor: req.principal!.actor, action: 'enroll_secret.revoke', target: req.params.id, ip: req.ip });
        return r;
      });
      if (!ok) throw Errors.notFound('Active enrollment secret');
      return { ok: true };
    });

    app.post<{ Params: { id: string }; Body: { at?: string } }>(
      '/api/v1/enroll-secrets/:id/expire',
      { config: { auth: ADMIN }, schema: { body: Type.Optional(Type.Object({ at: Type.Optional(Type.String({ format: 'date-time' })) })) } },
      async (req) => {
        const at = req.body?.at ? new Date(req.body.at) : new Date();
        const ok = await ctx.db.tx(async (q) => {
          const r = await expireEnrollSecret(q, req.params.id, at);
          if (r) await audit(q, { actor: req.principal!.actor, action: 'enroll_secret.expire', target: req.params.id, ip: req.ip, detail: { at } });
          return r;
        });
        if (!ok) throw Errors.notFound('Enrollment secret');
        return { ok: true, expiresAt: at.toISOString() };
      },
    );
  };
}
