/**
 * The device claim's three steps (claim.ts): POST /my-device/claim/start (from the page, CSRF),
 * GET /my-device/claim/callback (the provider's redirect; register it at the provider beside
 * /auth/oidc/callback) and GET /my-device/claim/complete (back on the page with its session).
 * All 'device-link': no dashboard role is involved and none is granted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../context.js';
import { ApiError } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import { parseCookies } from '../auth/sessions.js';
import { cookiesSecure } from '../http/origin.js';
import { csrfOk, sessionFromRequest } from './session.js';
import { myDeviceState } from './state.js';
import { linkProblemPage, myDevicePage } from './view.js';
import { PAGE_HEADERS } from './headers.js';
import { applyClaim, CLAIM_COOKIE, CLAIM_COOKIE_PATH, claimClient, claimIdentity, claimRedirectUri, holdClaim, ssoName, type ClaimOutcome } from './claim.js';

const LINK = { auth: 'device-link' } as const;

const OUTCOME_TEXT: Record<Exclude<ClaimOutcome, { ok: true }>['reason'], string> = {
  expired: 'The sign-in took too long or was already used; click "Sign in with company SSO" again.',
  other_device: 'That sign-in was started for another computer, so it was not applied to this one. Start the claim again on this page.',
  outranked: 'IT has assigned this computer to someone, and a sign-in does not change an owner set by IT. Ask IT if this is wrong.',
  no_device: 'This computer is no longer known to Posture.',
};

export function myDeviceClaimRoutes(ctx: Ctx) {
  const client = claimClient(ctx);
  const cookie = (req: FastifyRequest, value: string, maxAge: number) =>
    `${CLAIM_COOKIE}=${value}; Path=${CLAIM_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${cookiesSecure(ctx.config, req) ? '; Secure' : ''}`;
  const problem = (reply: FastifyReply, req: FastifyRequest, status: number, title: string, text: string) =>
    reply.code(status).headers(PAGE_HEADERS).header('set-cookie', cookie(req, '', 0)).type('text/html').send(linkProblemPage(title, text));

  return async (app: FastifyInstance) => {
    app.post('/my-device/claim/start', { config: LINK }, async (req, rep) => {
      const s = await sessionFromRequest(ctx.db, req);
      if (!s) throw new ApiError(401, 'POSTURE_ERR_AUTH_REQUIRED', 'Your My-device session has expired; run `posture-agent open` for a new link.');
      if (s.revoked) throw new ApiError(403, 'POSTURE_ERR_DEVICE_REVOKED', 'This computer has been removed from Posture by an administrator.');
      if (!csrfOk(req, s)) throw new ApiError(403, 'POSTURE_ERR_CSRF', 'Missing or wrong CSRF token; reload the page and try again.');
      if (!client) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Single sign-on is not configured (POSTURE_OIDC_ISSUER).');
      const cur = await ctx.db.query<{ owner_person_id: string | null; owner_source: string | null }>('SELECT owner_person_id, owner_source FROM devices WHERE id = $1', [s.deviceId]);
      if (cur.rows[0]?.owner_person_id && cur.rows[0].owner_source === 'admin')
        throw new ApiError(409, 'POSTURE_ERR_OWNER_OUTRANKED', OUTCOME_TEXT.outranked);
      // The device is the session's, stored with the sign-in state: nothing in the URL names it.
      const { url, browser } = await client.begin(claimRedirectUri(ctx, req), '/my-device', { purpose: 'claim', deviceId: s.deviceId });
      rep.header('set-cookie', cookie(req, browser, 600)).header('cache-control', 'no-store');
      return { url };
    });

    app.get<{ Querystring: { code?: string; state?: string; error?: string } }>(
      '/my-device/claim/callback',
      {
        config: LINK,
        schema: { querystring: Type.Object({ code: Type.Optional(Type.String({ maxLength: 2048 })), state: Type.Optional(Type.String({ maxLength: 512 })), error: Type.Optional(Type.String({ maxLength: 512 })) }) },
      },
      async (req, rep) => {
        if (!client) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Single sign-on is not configured (POSTURE_OIDC_ISSUER).');
        let r;
        let who;
        try {
          r = await client.finish({ ...req.query, browser: parseCookies(req.headers.cookie)[CLAIM_COOKIE], redirectUri: claimRedirectUri(ctx, req), purpose: 'claim' });
          who = claimIdentity(r.idToken, r.claims, ctx.config.oidc!.issuer);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          await audit(ctx.db, { actor: 'employee:unknown', action: 'device.owner_claim', outcome: 'failed', ip: req.ip, detail: { reason: e.message } });
          return problem(rep, req, e.statusCode, 'The sign-in did not work', `${e.message}`);
        }
        if (!r.deviceId) return problem(rep, req, 401, 'The sign-in did not work', OUTCOME_TEXT.expired);
        const handle = await holdClaim(ctx, r.deviceId, who);
        // Not a redirect: the My-device cookie is SameSite=Strict and is withheld at the end of a
        // redirect chain from the provider's site; a page that navigates itself is same-site.
        return rep
          .code(200)
          .headers(PAGE_HEADERS)
          .header('set-cookie', cookie(req, handle, 300))
          .type('text/html')
          .send(`<!doctype html><meta http-equiv="refresh" content="0;url=/my-device/claim/complete"><title>Posture</title><a href="/my-device/claim/complete">Continue to My device</a>`);
      },
    );

    app.get('/my-device/claim/complete', { config: LINK }, async (req, rep) => {
      const s = await sessionFromRequest(ctx.db, req);
      if (!s) return problem(rep, req, 401, 'Your My-device link has expired', 'Open a fresh link, then claim this computer again.');
      if (s.revoked) return problem(rep, req, 403, 'This computer has been removed from Posture by an administrator.', 'Ask IT if you think this is a mistake.');
      const out = await applyClaim(ctx, parseCookies(req.headers.cookie)[CLAIM_COOKIE], s.deviceId, req.ip);
      const state = await myDeviceState(ctx, s.deviceId);
      if (!state) return problem(rep, req, 403, 'This computer has been removed from Posture by an administrator.', 'Ask IT if you think this is a mistake.');
      const notice = out.ok
        ? { ok: true, text: out.changed ? `Done: this computer is now registered to ${out.email}.` : `This computer was already registered to ${out.email}.` }
        : { ok: false, text: OUTCOME_TEXT[out.reason] };
      return rep
        .code(out.ok ? 200 : out.reason === 'expired' ? 401 : out.reason === 'outranked' ? 409 : 403)
        .headers(PAGE_HEADERS)
        .header('set-cookie', cookie(req, '', 0))
        .type('text/html')
        .send(myDevicePage(state, s.csrf, ctx.policy.policy.customChecks, { sso: ssoName(ctx), notice }));
    });
  };
}
