/**
 * The employee's My-device page. No admin login: `posture-agent open` mints a link token
 * signed by the device key (token.ts); GET /my-device?t=… exchanges it once for a cookie
 * session scoped to that device (session.ts). Every route here is 'device-link': it sees
 * the session's device and nothing else — no route takes a device id from the URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ApiError } from '../shared/errors.js';
import { cookiesSecure } from '../http/origin.js';
import { checkNowDelivery, issueCheckNow } from '../devices/check-now.js';
import { verifyLinkToken, type LinkVerdict } from './token.js';
import { cookieHeader, createMyDeviceSession, csrfOk, sessionFromRequest, type MyDeviceSession } from './session.js';
import { myDeviceState } from './state.js';
import { linkProblemPage, myDevicePage } from './view.js';
import { PAGE_JS } from './page-js.js';
import { PAGE_HEADERS } from './headers.js';
import { ssoName } from './claim.js';

const LINK = { auth: 'device-link' } as const;
/** One Re-check per device per this many ms: the button must not become a way to load the agent. */
const CHECK_NOW_MIN_INTERVAL_MS = 5_000;

const PROBLEM_TEXT: Record<Exclude<LinkVerdict, { ok: true }>['reason'], string> = {
  malformed: 'This link is not valid.',
  unknown_device: 'This link is not valid.',
  revoked: 'This computer has been removed from Posture by an administrator.',
  not_current_key: 'This link was not signed by this computer’s current key.',
  bad_signature: 'This link is not valid.',
  expired: 'This link has expired.',
  invalid: 'This link is not valid.',
  too_long: 'This link is not valid.',
  replayed: 'This link has already been used.',
};

export function myDeviceRoutes(ctx: Ctx) {
  const lastCheckNow = new Map<string, number>();

  /** The session's device, or a link token in "Authorization: DeviceLink <jwt>" (for scripts and the agent CLI). */
  async function who(req: FastifyRequest): Promise<MyDeviceSession | { deviceId: string; csrf: null }> {
    const h = req.headers.authorization;
    if (h?.startsWith('DeviceLink ')) {
      const v = await verifyLinkToken(ctx, h.slice(11).trim());
      if (!v.ok) throw new ApiError(v.reason === 'revoked' ? 403 : 401, v.reason === 'revoked' ? 'POSTURE_ERR_DEVICE_REVOKED' : 'POSTURE_ERR_AUTH_REQUIRED', PROBLEM_TEXT[v.reason]);
      return { deviceId: v.deviceId, csrf: null };
    }
    return requireSession(req);
  }

  async function requireSession(req: FastifyRequest): Promise<MyDeviceSession> {
    const s = await sessionFromRequest(ctx.db, req);
    if (!s) throw new ApiError(401, 'POSTURE_ERR_AUTH_REQUIRED', 'Your My-device session has expired; run `posture-agent open` for a new link.');
    if (s.revoked) throw new ApiError(403, 'POSTURE_ERR_DEVICE_REVOKED', PROBLEM_TEXT.revoked);
    return s;
  }

  const problem = (reply: FastifyReply, status: number, title: string, text: string) =>
    reply.code(status).headers(PAGE_HEADERS).type('text/html').send(linkProblemPage(title, text));

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { t?: string } }>(
      '/my-device',
      { config: LINK, schema: { querystring: Type.Object({ t: Type.Optional(Type.String({ maxLength: 4096 })) }) } },
      async (req, reply) => {
        const t = req.query.t;
        if (t) {
          const v = await verifyLinkToken(ctx, t);
          if (!v.ok) {
            // A used link in a browser that already holds this device's session: just show the page.
            const s = v.reason === 'replayed' ? await sessionFromRequest(ctx.db, req) : null;
            if (s && !s.revoked) return reply.code(200).headers(PAGE_HEADERS).type('text/html').send(`<!doctype html><meta http-equiv="refresh" content="0;url=/my-device"><a href="/my-device">Continue</a>`);
            req.log.info({ reason: v.reason, detail: v.detail }, 'my-device link refused');
            return problem(reply, v.reason === 'revoked' ? 403 : 401, PROBLEM_TEXT[v.reason], v.reason === 'revoked' ? 'Ask IT if you think this is a mistake.' : 'Links are valid for one use and a few minutes.');
          }
          const { cookie } = await createMyDeviceSession(ctx.db, v.deviceId);
          // Not a 302: a SameSite=Strict cookie set during a redirect chain that began on another
          // site (a notification, a terminal) is withheld from the redirected request. A page
          // that navigates itself is same-site, and the token leaves the address bar.
          return reply
            .code(200)
            .headers(PAGE_HEADERS)
            .header('set-cookie', cookieHeader(cookie, cookiesSecure(ctx.config, req)))
            .type('text/html')
            .send(`<!doctype html><meta http-equiv="refresh" content="0;url=/my-device"><title>Posture</title><a href="/my-device">Continue to My device</a>`);
        }
        const s = await sessionFromRequest(ctx.db, req);
        if (!s) return problem(reply, 401, 'Your My-device link has expired', 'For your security, this page is available for 30 minutes after opening a link.');
        const state = s.revoked ? null : await myDeviceState(ctx, s.deviceId);
        if (!state) return problem(reply, 403, PROBLEM_TEXT.revoked, 'Ask IT if you think this is a mistake.');
        return reply.code(200).headers(PAGE_HEADERS).type('text/html').send(myDevicePage(state, s.csrf, ctx.policy.policy.customChecks, { sso: ssoName(ctx) }));
      },
    );

    app.get('/my-device/static/page.js', { config: LINK }, async (_req, reply) =>
      reply.type('application/javascript').header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(PAGE_JS),
    );

    app.get('/my-device/api/state', { config: LINK }, async (req, reply) => {
      const s = await who(req);
      const state = await myDeviceState(ctx, s.deviceId);
      if (!state) throw new ApiError(403, 'POSTURE_ERR_DEVICE_REVOKED', PROBLEM_TEXT.revoked);
      reply.header('cache-control', 'no-store');
      return state;
    });

    app.post('/my-device/api/check-now', { config: LINK }, async (req, reply) => {
      const s = await requireSession(req);
      if (!csrfOk(req, s)) throw new ApiError(403, 'POSTURE_ERR_CSRF', 'Missing or wrong CSRF token; reload the page and try again.');
      const now = Date.now();
      if (now - (lastCheckNow.get(s.deviceId) ?? 0) < CHECK_NOW_MIN_INTERVAL_MS) throw new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', 'A re-check was just requested; wait a few seconds.');
      lastCheckNow.set(s.deviceId, now);
      if (lastCheckNow.size > 10_000) lastCheckNow.clear();
      const commandId = await issueCheckNow(ctx, s.deviceId, `device-link:${s.deviceId}`, undefined, req.ip);
      reply.code(202);
      return { commandId, ...(await checkNowDelivery(ctx, s.deviceId)) };
    });

    app.get<{ Params: { commandId: string } }>(
      '/my-device/api/commands/:commandId',
      { config: LINK, schema: { params: Type.Object({ commandId: Type.String({ maxLength: 64 }) }) } },
      async (req, reply) => {
        const s = await who(req);
        // Scoped by the session's device: another device's command id is simply not found.
        const r = await ctx.db.query<{ id: string; created_at: Date; completed_at: Date | null; result: unknown }>(
          'SELECT id, created_at, completed_at, result FROM commands WHERE id = $1 AND device_id = $2',
          [req.params.commandId, s.deviceId],
        );
        const c = r.rows[0];
        if (!c) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Command not found.');
        reply.header('cache-control', 'no-store');
        return { id: c.id, createdAt: new Date(c.created_at).toISOString(), completedAt: c.completed_at ? new Date(c.completed_at).toISOString() : null, result: c.result };
      },
    );
  };
}
