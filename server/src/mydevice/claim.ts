/**
 * Employee self-registration: on the My-device page the employee signs in with the company SSO
 * (the collector's OIDC settings) and becomes the device's owner, source `employee`.
 *
 * Not a dashboard login: the sign-in has purpose `claim` (auth/oidc.ts), finishes only at the
 * claim callback, and creates no users row and no session. The device comes from the My-device
 * session when the claim starts (never from a URL) and is stored with the sign-in state; after
 * the ID token verifies, the claim waits in device_claims_pending until the browser is back on
 * the My-device page with that same device's session, and only then is applied.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import type { JWTPayload } from 'jose';
import { OidcClient } from '../auth/oidc.js';
import { ApiError } from '../shared/errors.js';
import { sha256hex } from '../shared/crypto.js';
import { collectorOrigin } from '../http/origin.js';
import { EMAIL_RE, findOrCreatePerson } from '../people/dal.js';
import { assignOwner, type AssignResult } from '../people/owners.js';
import { mayReplaceOwner, type OwnerSource } from '../people/trust.js';
import { audit } from '../audit/log.js';

/** Lax (it must come back on the provider's redirect), HttpOnly, only under /my-device/claim. */
export const CLAIM_COOKIE = 'posture_claim';
export const CLAIM_COOKIE_PATH = '/my-device/claim';
export const CLAIM_CALLBACK_PATH = '/my-device/claim/callback';
const PENDING_TTL_MS = 5 * 60_000;

/** The redirect URI registered at the provider for claims (beside the dashboard's /auth/oidc/callback). */
export function claimRedirectUri(ctx: Ctx, req: FastifyRequest): string {
  // An explicit dashboard redirect URL names the origin browsers use; the claim callback lives there too.
  const origin = ctx.config.oidc?.redirectUrl ? new URL(ctx.config.oidc.redirectUrl).origin : collectorOrigin(ctx.config, req);
  return `${origin}${CLAIM_CALLBACK_PATH}`;
}

/** One claim client per collector; null when SSO is not configured (the page then offers no claim). */
export function claimClient(ctx: Ctx): OidcClient | null {
  return ctx.config.oidc ? new OidcClient(ctx.config.oidc, ctx.db) : null;
}

/** The provider as the button names it (its issuer's host), or null when SSO is not configured. */
export function ssoName(ctx: Ctx): string | null {
  if (!ctx.config.oidc) return null;
  try {
    return new URL(ctx.config.oidc.issuer).host;
  } catch {
    return ctx.config.oidc.issuer;
  }
}

/** A verified sign-in's identity as recorded with the claim. */
export interface ClaimIdentity {
  subject: string;
  email: string;
  displayName: string | null;
  issuer: string;
}

/**
 * The identity to claim with: the ID token's subject and email (userinfo's email only when the
 * token has none, matched by subject in OidcClient.finish). An address the provider marks as
 * unverified is refused: the claim would otherwise name whoever typed it.
 */
export function claimIdentity(idToken: JWTPayload, claims: JWTPayload, issuer: string): ClaimIdentity {
  const email = typeof idToken.email === 'string' ? idToken.email : typeof claims.email === 'string' ? claims.email : null;
  if (!email || !EMAIL_RE.test(email.trim())) throw new ApiError(400, 'POSTURE_ERR_OIDC', 'Your sign-in did not include an email address (scope "email"); ask IT to release it to Posture.');
  const verified = idToken.email_verified ?? claims.email_verified;
  if (verified === false || verified === 'false') throw new ApiError(403, 'POSTURE_ERR_OIDC', 'Your identity provider says this email address is not verified.');
  const name = claims.name ?? idToken.name;
  return { subject: String(idToken.sub), email: email.trim(), displayName: typeof name === 'string' ? name.slice(0, 200) : null, issuer };
}

/** Keep a verified claim for the device until the My-device page applies it; returns the cookie handle. */
export async function holdClaim(ctx: Ctx, deviceId: string, who: ClaimIdentity): Promise<string> {
  const handle = randomBytes(32).toString('base64url');
  await ctx.db.query('DELETE FROM device_claims_pending WHERE expires_at < now()');
  await ctx.db.query(
    'INSERT INTO device_claims_pending (handle_hash, device_id, subject, email, display_name, issuer, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
    [sha256hex(handle), deviceId, who.subject, who.email, who.displayName, who.issuer, new Date(Date.now() + PENDING_TTL_MS)],
  );
  return handle;
}

export type ClaimOutcome =
  | { ok: true; changed: boolean; email: string }
  | { ok: false; reason: 'expired' | 'other_device' | 'outranked' | 'no_device'; current?: OwnerSource | null; email?: string };

/**
 * Apply a held claim to the session's device. The pending row is consumed whatever happens;
 * a claim started for another device is refused (and audited), never redirected to this one.
 * The owner is the person with the token's email (matched case-insensitively, created when
 * missing), assigned with source `employee` under the trust order (an admin's choice stays).
 */
export async function applyClaim(ctx: Ctx, handle: string | undefined, sessionDeviceId: string, ip: string | null): Promise<ClaimOutcome> {
  if (!handle || handle.length > 100) return { ok: false, reason: 'expired' };
  return ctx.db.tx(async (q) => {
    const r = await q.query<{ device_id: string; subject: string; email: string; display_name: string | null; issuer: string; expires_at: Date }>(
      'DELETE FROM device_claims_pending WHERE handle_hash = $1 RETURNING device_id, subject, email, display_name, issuer, expires_at',
      [sha256hex(handle)],
    );
    const p = r.rows[0];
    if (!p || new Date(p.expires_at).getTime() < Date.now()) return { ok: false, reason: 'expired' } as const;
    const actor = `employee:${p.email}`;
    if (p.device_id !== sessionDeviceId) {
      await audit(q, { actor, action: 'device.owner_claim', outcome: 'failed', target: sessionDeviceId, ip, detail: { reason: 'claim started for another device', claimedFor: p.device_id, sub: p.subject, email: p.email } });
      return { ok: false, reason: 'other_device', email: p.email } as const;
    }
    const outranked = async (current: OwnerSource | null) => {
      await audit(q, { actor, action: 'device.owner_claim', outcome: 'failed', target: p.device_id, ip, detail: { reason: 'owner set by a more trusted source', current, sub: p.subject, email: p.email } });
      return { ok: false, reason: 'outranked', current, email: p.email } as const;
    };
    // Checked before a person is created for the address (assignOwner checks again under its lock).
    const cur = await q.query<{ owner_person_id: string | null; owner_source: OwnerSource | null }>('SELECT owner_person_id, owner_source FROM devices WHERE id = $1', [p.device_id]);
    if (!cur.rows[0]) return { ok: false, reason: 'no_device' } as const;
    const curSource = cur.rows[0].owner_person_id ? cur.rows[0].owner_source : null;
    if (!mayReplaceOwner(curSource, 'employee')) return outranked(curSource);
    const { person } = await findOrCreatePerson(q, p.email, 'employee', p.display_name);
    const res: AssignResult = await assignOwner(q, {
      deviceId: p.device_id,
      personId: person.id,
      source: 'employee',
      actor,
      ip,
      policy: ctx.policy.policy,
      detail: { via: 'my-device sso claim', sub: p.subject, email: p.email, issuer: p.issuer },
    });
    if (res.ok) return { ok: true, changed: res.changed, email: person.email } as const;
    if (res.reason === 'outranked') return outranked(res.current ?? null);
    return { ok: false, reason: 'no_device' } as const;
  });
}
