/**
 * OpenID Connect single sign-on: authorization-code flow with PKCE (S256), state and nonce.
 * The pending login lives in the database (oidc_logins), keyed by a hash of `state` and bound
 * to a random browser cookie, so any collector behind a load balancer can finish it and a
 * state value stolen from a URL is useless without the cookie. The ID token is verified with
 * jose against the issuer's JWKS from discovery (signature, iss, aud, exp), then the nonce.
 * A sign-in has a purpose: a dashboard login, or an employee's device claim (bound to one
 * device); each callback finishes only its own purpose, so a claim can never become a login.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { CollectorConfig } from '../config/env.js';
import type { Db } from '../db/types.js';
import { sha256hex } from '../shared/crypto.js';
import { ApiError } from '../shared/errors.js';
import { HUMAN_ROLES, isHumanRole, type Role } from './roles.js';

export type OidcConfig = NonNullable<CollectorConfig['oidc']>;
/** What a sign-in is for: `dashboard` (a session with a role) or `claim` (a device owner, no session). */
export type OidcPurpose = 'dashboard' | 'claim';
export const OIDC_BROWSER_COOKIE = 'posture_oidc';
const LOGIN_TTL_MS = 10 * 60_000;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

const b64url = (b: Buffer) => b.toString('base64url');
const oidcError = (msg: string, status = 401) => new ApiError(status, 'POSTURE_ERR_OIDC', msg);

export class OidcClient {
  private discovery: Promise<{ d: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> }> | null = null;

  constructor(private readonly cfg: OidcConfig, private readonly db: Db) {
    for (const [claim, role] of Object.entries(cfg.roleMap))
      if (!isHumanRole(role)) throw new Error(`POSTURE_OIDC_ROLE_MAP maps "${claim}" to "${role}", which is not one of ${HUMAN_ROLES.join(', ')}`);
  }

  private meta() {
    // Cached after the first success; a failed fetch is retried on the next login.
    this.discovery ??= (async () => {
      const url = `${this.cfg.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`OIDC discovery ${url}: HTTP ${res.status}`);
      const d = (await res.json()) as Discovery;
      // The issuer must be the one configured (OpenID Connect Discovery 1.0 §4.3).
      if (d.issuer !== this.cfg.issuer) throw new Error(`OIDC discovery: issuer "${d.issuer}" is not the configured "${this.cfg.issuer}"`);
      return { d, jwks: createRemoteJWKSet(new URL(d.jwks_uri)) };
    })().catch((e) => {
      this.discovery = null;
      throw e;
    });
    return this.discovery;
  }

  scope(): string {
    // "groups" is a scope at most providers that emit a groups claim (Okta, Keycloak, Authentik).
    return this.cfg.roleClaim === 'groups' ? 'openid profile email groups' : 'openid profile email';
  }

  /**
   * Start a sign-in: returns the provider URL to redirect to and the browser-binding cookie value.
   * `purpose` defaults to a dashboard login; a `claim` carries the device it was started for.
   */
  async begin(redirectUri: string, next: string, opts: { purpose?: OidcPurpose; deviceId?: string } = {}): Promise<{ url: string; browser: string }> {
    const { d } = await this.meta();
    const state = b64url(randomBytes(24));
    const nonce = b64url(randomBytes(24));
    const verifier = b64url(randomBytes(48));
    const browser = b64url(randomBytes(24));
    const challenge = b64url(createHash('sha256').update(verifier).digest());
    await this.db.query('DELETE FROM oidc_logins WHERE expires_at < now()');
    await this.db.query(
      'INSERT INTO oidc_logins (state_hash, browser_hash, code_verifier, nonce, next_url, expires_at, purpose, device_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
      [sha256hex(state), sha256hex(browser), verifier, nonce, next, new Date(Date.now() + LOGIN_TTL_MS), opts.purpose ?? 'dashboard', opts.deviceId ?? null],
    );
    const u = new URL(d.authorization_endpoint);
    u.search = new URLSearchParams({
      response_type: 'code', client_id: this.cfg.clientId, redirect_uri: redirectUri, scope: this.scope(),
      state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    return { url: u.toString(), browser };
  }

  /**
   * Finish a sign-in of `purpose` (default dashboard): check state against the browser cookie,
   * redeem the code, verify the ID token. `claims` may be completed from userinfo; `idToken` is
   * the verified ID token's own payload; `deviceId` is the device a claim was started for.
   */
  async finish(p: { code?: string; state?: string; error?: string; browser?: string; redirectUri: string; purpose?: OidcPurpose }): Promise<{ claims: JWTPayload; idToken: JWTPayload; role: Role | null; next: string; deviceId: string | null }> {
    if (p.error) throw oidcError(`The identity provider refused the sign-in: ${p.error}`);
    if (!p.code || !p.state || !p.browser) throw oidcError('Sign-in response is missing its code, state or browser cookie; start again.');
    // Single use: the row is deleted as it is read; a state of the other purpose is not found.
    const r = await this.db.query<{ browser_hash: string; code_verifier: string; nonce: string; next_url: string; expires_at: Date; device_id: string | null }>(
      'DELETE FROM oidc_logins WHERE state_hash = $1 AND purpose = $2 RETURNING browser_hash, code_verifier, nonce, next_url, expires_at, device_id',
      [sha256hex(p.state), p.purpose ?? 'dashboard'],
    );
    const login = r.rows[0];
    if (!login || login.browser_hash !== sha256hex(p.browser)) throw oidcError('Unknown or mismatched sign-in state; start again.');
    if (new Date(login.expires_at).getTime() < Date.now()) throw oidcError('The sign-in took too long; start again.');
    const { d, jwks } = await this.meta();
    const res = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.cfg.clientId)}:${encodeURIComponent(this.cfg.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: login.code_verifier }),
      signal: AbortSignal.timeout(10_000),
    });
    const tok = (await res.json().catch(() => ({}))) as { id_token?: string; access_token?: string; error?: string };
    if (!res.ok || !tok.id_token) throw oidcError(`The identity provider did not issue a token (${tok.error ?? `HTTP ${res.status}`}).`);
    const { payload } = await jwtVerify(tok.id_token, jwks, { issuer: this.cfg.issuer, audience: this.cfg.clientId, maxTokenAge: '10m' }).catch((e) => {
      throw oidcError(`The ID token did not verify: ${(e as Error).message}`);
    });
    if (payload.nonce !== login.nonce) throw oidcError('The ID token nonce does not match this sign-in.');
    let claims: JWTPayload = payload;
    // Many providers put groups (and, for a claim, the email) only in userinfo; ask there when the ID token lacks them.
    const need = (p.purpose ?? 'dashboard') === 'claim' ? payload.email === undefined : claims[this.cfg.roleClaim] === undefined;
    if (need && d.userinfo_endpoint && tok.access_token) {
      const ui = await fetch(d.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.access_token}` }, signal: AbortSignal.timeout(10_000) });
      if (ui.ok) {
        const info = (await ui.json()) as JWTPayload;
        if (info.sub === payload.sub) claims = { ...info, ...payload, [this.cfg.roleClaim]: info[this.cfg.roleClaim] };
      }
    }
    return { claims, idToken: payload, role: this.roleFor(claims), next: login.next_url, deviceId: login.device_id };
  }

  /** The most privileged role any of the user's claim values maps to; null = refuse. */
  roleFor(claims: JWTPayload): Role | null {
    const v = claims[this.cfg.roleClaim];
    const values = (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(String);
    const mapped = values.map((x) => this.cfg.roleMap[x]).filter(isHumanRole);
    return HUMAN_ROLES.find((r) => mapped.includes(r)) ?? null; // HUMAN_ROLES is ordered most to least privileged
  }
}
