/**
 * Local users (scrypt-hashed passwords) and API tokens (hashed at rest, scoped to one role,
 * expiring) — admin only, every change audit-logged. Secrets are shown once, at creation.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ADMIN, HUMAN_ROLES, ROLES, type Role } from '../auth/roles.js';
import { createApiToken } from '../auth/tokens.js';
import { Errors } from '../shared/errors.js';
import { hashPassword, newId } from '../shared/crypto.js';
import { audit } from '../audit/log.js';

/** Users hold human roles only; a token may also be the identity provider's `scim` token. */
const RoleT = Type.Union(HUMAN_ROLES.map((r) => Type.Literal(r)));
const TokenRoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const UserBody = Type.Object(
  {
    username: Type.String({ minLength: 2, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' }),
    password: Type.String({ minLength: 12, maxLength: 1000 }),
    role: RoleT,
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const TokenBody = Type.Object(
  {
    role: TokenRoleT,
    label: Type.String({ minLength: 1, maxLength: 100 }),
    /** Days until expiry; tokens always expire (at most two years). */
    expiresInDays: Type.Integer({ minimum: 1, maximum: 730 }),
  },
  { additionalProperties: false },
);
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function userRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.post('/api/v1/users', { config: { auth: ADMIN }, schema: { body: UserBody } }, async (req: FastifyRequest<{ Body: Static<typeof UserBody> }>, reply) => {
      const b = req.body;
      const id = newId('usr');
      const hash = await hashPassword(b.password);
      await ctx.db.tx(async (q) => {
        const r = await q.query(
          `INSERT INTO users (id, username, display_name, password_hash, role, source) VALUES ($1,$2,$3,$4,$5,'local') ON CONFLICT (username) DO NOTHING`,
          [id, b.username, b.displayName ?? null, hash, b.role],
        );
        if (!r.rowCount) throw Errors.conflict(`A user named "${b.username}" already exists.`);
        await audit(q, { actor: req.principal!.actor, action: 'user.create', target: `user:${b.username}`, ip: req.ip, detail: { role: b.role } });
      });
      reply.code(201);
      return { id, username: b.username, role: b.role };
    });

    app.get('/api/v1/users', { config: { auth: ADMIN } }, async () => {
      const r = await ctx.db.query<{ id: string; username: string; display_name: string | null; role: Role; source: string; created_at: Date; disabled_at: Date | null }>(
        'SELECT id, username, display_name, role, source, created_at, disabled_at FROM users ORDER BY username LIMIT 1000',
      );
      return {
        items: r.rows.map((u) => ({ id: u.id, username: u.username, displayName: u.display_name, role: u.role, source: u.source, createdAt: iso(u.created_at), disabledAt: iso(u.disabled_at) })),
      };
    });

    app.post('/api/v1/users/:id/disable', { config: { auth: ADMIN }, schema: { params: Id } }, async (req: FastifyRequest<{ Params: { id: string } }>) => {
      await ctx.db.tx(async (q) => {
        const r = await q.query<{ username: string }>('UPDATE users SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING username', [req.params.id]);
        if (!r.rows[0]) throw Errors.notFound('Enabled user');
        // Signing out everywhere at once: a disabled user's sessions stop working immediately.
        await q.query('DELETE FROM sessions WHERE user_id = $1', [req.params.id]);
        await audit(q, { actor: req.principal!.actor, action: 'user.disable', target: `user:${r.rows[0].username}`, ip: req.ip });
      });
      return { ok: true };
    });

    app.post('/api/v1/tokens', { config: { auth: ADMIN }, schema: { body: TokenBody } }, async (req: FastifyRequest<{ Body: Static<typeof TokenBody> }>, reply) => {
      const b = req.body;
      const expiresAt = new Date(Date.now() + b.expiresInDays * 86_400_000);
      const t = await ctx.db.tx(async (q) => {
        const t = await createApiToken(q, { role: b.role, label: b.label, createdBy: req.principal!.actor, expiresAt });
        await audit(q, { actor: req.principal!.actor, action: 'token.create', target: t.id, ip: req.ip, detail: { role: b.role, label: b.label, expiresAt: expiresAt.toISOString() } });
        return t;
      });
      reply.code(201);
      return { id: t.id, token: t.token, role: b.role, label: b.label, expiresAt: expiresAt.toISOString(), note: 'Shown once; only a hash is stored.' };
    });

    app.get('/api/v1/tokens', { config: { auth: ADMIN } }, async () => {
      const r = await ctx.db.query<Record<string, any>>(
        'SELECT id, prefix, role, label, created_by, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC LIMIT 1000',
      );
      return {
        items: r.rows.map((t) => ({
          id: t.id, prefix: t.prefix, role: t.role, label: t.label, createdBy: t.created_by, createdAt: iso(t.created_at),
          expiresAt: iso(t.expires_at), revokedAt: iso(t.revoked_at), lastUsedAt: iso(t.last_used_at),
        })),
      };
    });

    app.delete('/api/v1/tokens/:id', { config: { auth: ADMIN }, schema: { params: Id } }, async (req: FastifyRequest<{ Params: { id: string } }>) => {
      await ctx.db.tx(async (q) => {
        const r = await q.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [req.params.id]);
        if (!r.rowCount) throw Errors.notFound('Active token');
        // Sessions opened with this token end now (principalFromSession also checks on every request).
        const ended = await q.query('DELETE FROM sessions WHERE api_token_id = $1', [req.params.id]);
        await audit(q, { actor: req.principal!.actor, action: 'token.revoke', target: req.params.id, ip: req.ip, detail: { sessionsEnded: ended.rowCount } });
      });
      return { ok: true };
    });
  };
}
