/**
 * Agent enrollment (public, authenticated by the enrollment secret), pending enrollments of
 * known machines (approve/reject), and the admin API for enrollment secrets.
 * An enrollment secret creates NEW devices only; see proof.ts and pending.ts.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { calculateJwkThumbprint } from 'jose';
import { EnrollRequest, PendingStatusRequest, type EnrollPendingResponse, type PendingStatusResponse } from '#shared/protocol/messages.js';
import type { Ctx } from '../context.js';
import { ApiError, Errors } from '../shared/errors.js';
import { newId } from '../shared/crypto.js';
import { audit } from '../audit/log.js';
import { ADMIN, OPERATORS } from '../auth/roles.js';
import { ownerAtEnrollment } from '../people/owners.js';
import { syncDevices } from '../groups/service.js';
import { ENROLL_RATE_LIMIT, SecretThrottle } from './throttle.js';
import { validatePublicJwk, verifyPendingProof, verifyReenrollProof } from './proof.js';
import { approvePending, getPending, listPending, rejectPending } from './pending.js';

/** Undecided requests one machine may have at a time (each is a row a person must look at). */
const MAX_OPEN_PENDING = 20;

type EnrollOutcome = { error: ApiError } | { pendingId: string } | { deviceId: string; reenrolled: boolean };
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
      // Before anything is looked up or stored: a junk key must never reach device_keys.
      const pub = validatePublicJwk(b.publicJwk as Record<string, unknown>);
      const kid = await calculateJwkThumbprint(pub);
      const inv = b.inventory;
      const result = await ctx.db.tx(async (q): Promise<EnrollOutcome> => {
        const s = await useEnrollSecret(q, b.secret);
        if (!s.ok) {
          const code = { unknown: 'POSTURE_ERR_ENROLL_SECRET_INVALID', revoked: 'POSTURE_ERR_ENROLL_SECRET_REVOKED', expired: 'POSTURE_ERR_ENROLL_SECRET_EXPIRED' }[s.reason];
          return { error: new ApiError(s.reason === 'unknown' ? 401 : 403, code, `Enrollment secret ${s.reason === 'unknown' ? 'is not valid' : `has been ${s.reason}`}.`) };
        }
        const keyRow = await q.query<{ device_id: string; revoked_at: Date | null }>('SELECT device_id, revoked_at FROM device_keys WHERE kid = $1', [kid]);
        const existing = await q.query<{ id: string; revoked_at: Date | null }>('SELECT id, revoked_at FROM devices WHERE fingerprint = $1 AND deleted_at IS NULL FOR UPDATE', [b.fingerprint]);
        const dev = existing.rows[0];
        if (keyRow.rows[0]?.revoked_at || (keyRow.rows[0] && dev?.revoked_at))
          return { error: new ApiError(403, 'POSTURE_ERR_KEY_REVOKED', 'This device key has been revoked and cannot enroll again.') };
        if (keyRow.rows[0]) return { error: Errors.conflict('This key is already registered.') };
        if (dev?.revoked_at)
          return { error: new ApiError(403, 'POSTURE_ERR_DEVICE_REVOKED', 'This device was revoked; an administrator must restore it before it can enroll again.') };
        const cols = [inv.hostname, inv.os.platform, inv.os.distro ?? null, inv.os.release ?? null, inv.hardware.model ?? null, inv.hardware.serial ?? null, inv.users[0] ?? null, b.agentVersion, JSON.stringify(inv)];
        if (dev) {
          // The secret and the fingerprint are no proof of WHICH install asks (docs/security.md):
          // only the device's current key may re-key it; anyone else waits for an administrator.
          const proof = b.proof ? await verifyReenrollProof(q, { deviceId: dev.id, audience: ctx.identity.collectorId, newX: pub.x, proof: b.proof }) : null;
          if (!proof?.ok) {
            const open = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM pending_enrollments WHERE device_id = $1 AND decided_at IS NULL', [dev.id]);
            if (open.rows[0].n >= MAX_OPEN_PENDING)
              return { error: new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', `This machine already has ${MAX_OPEN_PENDING} enrollment requests waiting for an administrator.`) };
            const pendingId = newId('pe');
            await q.query(
              `INSERT INTO pending_enrollments (id, device_id, kid, public_jwk, hostname, agent_version, inventory, source_ip, secret_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
              [pendingId, dev.id, kid, JSON.stringify(pub), inv.hostname, b.agentVersion, JSON.stringify(inv), req.ip, s.id],
            );
            await audit(q, { actor: `enroll-secret:${s.id}`, action: 'enrollment.pending', target: dev.id, ip: req.ip, detail: { pendingId, hostname: inv.hostname, kid, proofRefused: proof && !proof.ok ? proof.reason : null } });
            return { pendingId };
          }
          // Same install re-enrolling with the key it holds (lost config, new key): same asset, new key.
          await q.query(
            `UPDATE devices SET hostname=$2, platform=$3, os_name=$4, os_version=$5, model=$6, serial=$7, owner=CASE WHEN owner_person_id IS NULL THEN COALESCE($8, owner) ELSE owner END, agent_version=$9, inventory=$10, last_seen_at=now() WHERE id=$1`,
            [dev.id, ...cols],
          );
          await q.query(`UPDATE device_keys SET retired_at = now(), retired_reason = 'rotated' WHERE device_id = $1 AND retired_at IS NULL`, [dev.id]);
          await q.query('INSERT INTO device_keys (kid, device_id, public_jwk) VALUES ($1,$2,$3)', [kid, dev.id, JSON.stringify(pub)]);
          await audit(q, { actor: `device:${dev.id}`, action: 'device.reenrolled', target: dev.id, ip: req.ip, detail: { hostname: inv.hostname, kid, provenBy: proof.kid, secret: s.id } });
          await ownerAtEnrollment(q, dev.id, inv.users[0] ?? null, b.owner, `device:${dev.id}`, ctx.policy.policy);
          if (b.tags) await q.query('UPDATE devices SET enroll_tags = $2 WHERE id = $1', [dev.id, [...new Set(b.tags)]]);
          await syncDevices(q, [dev.id], `device:${dev.id}`);
          return { deviceId: dev.id, reenrolled: true };
        }
        const deviceId = newId('dev');
        await q.query(
          `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, agent_version, inventory, last_seen_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, now())`,
          [deviceId, b.fingerprint, ...cols],
        );
        await q.query(`INSERT INTO state_events (device_id, check_id, from_state, to_state, at) VALUES ($1, '*', NULL, 'unknown', now())`, [deviceId]);
        await ownerAtEnrollment(q, deviceId, inv.users[0] ?? null, b.owner, `enroll-secret:${s.id}`, ctx.policy.policy);
        await q.query('INSERT INTO device_keys (kid, device_id, public_jwk) VALUES ($1,$2,$3)', [kid, deviceId, JSON.stringify(pub)]);
        await ownerAtEnrollment(q, deviceId, inv.users[0] ?? null, b.owner, `enroll-secret:${s.id}`, ctx.policy.policy);
        if (b.tags) await q.query('UPDATE devices SET enroll_tags = $2 WHERE id = $1', [deviceId, [...new Set(b.tags)]]);
        // Rule-based groups (platform, hostname, tag, owner's department or IdP group) from the start.
        await syncDevices(q, [deviceId], `enroll-secret:${s.id}`);
        await audit(q, { actor: `enroll-secret:${s.id}`, action: 'device.enrolled', target: deviceId, ip: req.ip, detail: { hostname: inv.hostname, kid, ...(b.tags ? { tags: b.tags } : {}) } });
        return { deviceId, reenrolled: false };
      });
      if ('error' in result) {
        ctx.refusals.record({ action: 'device.enroll', source: req.ip, reason: result.error.code });
        throw result.error;
      }
      if ('pendingId' in result) {
        reply.code(202);
        return {
          status: 'pending',
          pendingId: result.pendingId,
          message: 'This machine is already enrolled. The request waits for an administrator to approve it (it replaces the existing key) or reject it.',
        } satisfies EnrollPendingResponse;
      }
      ctx.keys.invalidate(result.deviceId);
      await ctx.hub.deviceChanged(result.deviceId, 'keys-changed').catch(() => {});
      reply.code(result.reenrolled ? 200 : 201);
      return { deviceId: result.deviceId, keyId: kid, audience: ctx.identity.collectorId, policy: ctx.policy.agentPolicy() };
    });

    // The pending install learns the outcome by proving it holds the key it offered; nobody
    // else learns anything about the request (the answer is the same 404 for a wrong proof).
    app.post<{ Body: PendingStatusRequest }>('/agent/v1/enrollments/status', { config: { auth: 'public' }, schema: { body: PendingStatusRequest } }, async (req) => {
      const p = await getPending(ctx.db, req.body.pendingId);
      if (!p || !(await verifyPendingProof(p.publicJwk, { pendingId: p.id, audience: ctx.identity.collectorId, proof: req.body.proof })))
        throw Errors.notFound('Pending enrollment');
      const out: PendingStatusResponse = { status: p.decision ?? 'pending', reason: p.reason, decidedAt: p.decidedAt };
      if (p.decision === 'approved') Object.assign(out, { deviceId: p.deviceId, keyId: p.kid, audience: ctx.identity.collectorId, policy: ctx.policy.agentPolicy() });
      return out;
    });

    app.get<{ Querystring: { deviceId?: string } }>(
      '/api/v1/enrollments/pending',
      { config: { auth: OPERATORS }, schema: { querystring: Type.Object({ deviceId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }) } },
      async (req) => ({ items: await listPending(ctx.db, req.query.deviceId) }),
    );

    const Decision = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/v1/enrollments/:id/approve',
      { config: { auth: ADMIN }, schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), body: Decision } },
      async (req) => {
        const r = await approvePending(ctx.db, req.params.id, req.principal!.actor, req.body.reason, req.ip);
        // Closes the old install's socket (it is told 4012 when it tries again) and drops cached keys everywhere.
        await ctx.hub.deviceChanged(r.deviceId, 'key-replaced');
        return { ok: true, deviceId: r.deviceId, keyId: r.kid, retiredKeyIds: r.retired };
      },
    );
    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/v1/enrollments/:id/reject',
      { config: { auth: ADMIN }, schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), body: Decision } },
      async (req) => ({ ok: true, ...(await rejectPending(ctx.db, req.params.id, req.principal!.actor, req.body.reason, req.ip)) }),
    );

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
