/**
 * /updates/: the TUF repository agents update from (server/src/updates/repo.ts layout),
 * served read-only and unauthenticated (TUF metadata and targets are public and verified by
 * the client; nothing here is trusted because of where it came from), plus the online
 * timestamp refresher and POST /api/v1/devices/:id/update-now.
 */
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { OPERATORS } from '../auth/roles.js';
import { Errors } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { loadSigningKey } from './tuf-keys.js';
import { metadataDir, refreshTimestamp, targetsDir } from './repo.js';

/** Names a client may ask for: metadata files and hash-prefixed target paths, no traversal. */
const META_NAME = /^(?:\d+\.(?:root|targets|snapshot)|timestamp)\.json$/;
const TARGET_PATH = /^agent\/[0-9A-Za-z.-]{1,40}\/[a-z0-9-]{1,20}\/[0-9a-f]{64}\.[A-Za-z0-9._-]{1,64}$/;

export function updateRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    const repo = ctx.config.updatesDir;
    const send = (file: string, reply: import('fastify').FastifyReply, type: string) => {
      if (!existsSync(file) || !statSync(file).isFile()) throw Errors.notFound('Update file');
      reply.header('content-type', type).header('cache-control', 'no-cache').header('content-length', statSync(file).size);
      return reply.send(createReadStream(file));
    };
    app.get<{ Params: { name: string } }>('/updates/metadata/:name', { config: { auth: 'public' } }, async (req, reply) => {
      if (!META_NAME.test(req.params.name)) throw Errors.notFound('Update metadata');
      return send(join(metadataDir(repo), req.params.name), reply, 'application/json');
    });
    app.get<{ Params: { '*': string } }>('/updates/targets/*', { config: { auth: 'public' } }, async (req, reply) => {
      const rel = req.params['*'];
      if (!TARGET_PATH.test(rel) || normalize(rel).split(sep).includes('..')) throw Errors.notFound('Update target');
      return send(join(targetsDir(repo), rel), reply, 'application/octet-stream');
    });

    app.post<{ Params: { id: string } }>(
      '/api/v1/devices/:id/update-now',
      { config: { auth: OPERATORS }, schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } },
      async (req, reply) => {
        const commandId = `cmd_${randomUUID()}`;
        await ctx.db.tx(async (q) => {
          const d = await q.query('SELECT 1 FROM devices WHERE id = $1 AND revoked_at IS NULL', [req.params.id]);
          if (!d.rows[0]) throw Errors.notFound('Active device');
          await q.query('INSERT INTO commands (id, device_id, command, created_by, delivered_at) VALUES ($1,$2,$3,$4, now())', [commandId, req.params.id, 'update-now', req.principal!.actor]);
          await audit(q, { actor: req.principal!.actor, action: 'device.update_now', target: req.params.id, ip: req.ip, detail: { commandId } });
        });
        await ctx.hub.sendCommand(req.params.id, { type: 'command', commandId, command: 'update-now' });
        reply.code(202);
        return { commandId };
      },
    );

    // The online role: keep timestamp.json fresh (and pointing at the newest snapshot a
    // release wrote). Without the key the collector only serves what the release signed.
    const keyFile = ctx.config.updatesTimestampKey;
    if (keyFile) {
      const key = loadSigningKey(keyFile);
      const tick = () => {
        try {
          const v = refreshTimestamp(repo, key);
          if (v) app.log.info({ version: v }, 'update timestamp re-signed');
        } catch (e) {
          app.log.error({ err: (e as Error).message }, 'update timestamp refresh failed');
        }
      };
      tick();
      const t = setInterval(tick, Math.min(ctx.config.jobIntervalMs, 60_000));
      t.unref();
      app.addHook('onClose', async () => clearInterval(t));
    }
  };
}
