/**
 * Policy API: read the policy in force, replace it (admins; JSON or YAML text, validated
 * with line-numbered errors), its version history, and a reload of the policy file.
 * A new policy applies to each device from its next report (the evaluator runs at ingest);
 * devices are not re-evaluated in bulk on change, so a 20,000-device fleet converges over
 * one check interval instead of in one long transaction.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { parsePolicy } from '#shared/policy/load.js';
import type { Ctx } from '../context.js';
import { ADMIN, ALL_ROLES } from '../auth/roles.js';
import { ApiError } from '../shared/errors.js';
import { audit } from '../audit/log.js';

const POLICY_MAX_BYTES = 256 * 1024;

/**
 * A Slack-style webhook URL is a credential: only admins (who can change it) see it; other
 * roles see that one is set.
 */
export function redactPolicy<T extends { alerts?: { webhookUrl?: string } }>(policy: T, role: string | undefined): T {
  if (role === 'admin' || !policy.alerts?.webhookUrl) return policy;
  return { ...policy, alerts: { ...policy.alerts, webhookUrl: '(set; visible to admins)' } };
}

export function policyInvalid(errors: string[]): ApiError {
  return new ApiError(400, 'POSTURE_ERR_POLICY_INVALID', `The policy is invalid: ${errors[0] ?? 'unknown error'}`, { errors });
}

/** Body is either a JSON object (the policy) or YAML/JSON text. Errors carry line numbers of the text. */
export function parsePolicyBody(body: unknown) {
  if (typeof body === 'string') return withSyntaxLines(body, parsePolicy(body, 'policy'));
  if (body && typeof body === 'object') return parsePolicy(JSON.stringify(body, null, 2), 'policy.json');
  return { ok: false as const, errors: ['policy: send the policy as a JSON object or as YAML text (content-type text/yaml)'] };
}

/**
 * parsePolicy() reports YAML syntax errors without a position (the yaml package fills linePos
 * only with prettyErrors); add line:col from the error offset so the editor can point at it.
 */
function withSyntaxLines(text: string, r: ReturnType<typeof parsePolicy>): ReturnType<typeof parsePolicy> {
  if (r.ok || r.errors.every((e) => /^policy:\d/.test(e))) return r;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (!doc.errors.length) return r;
  return {
    ok: false,
    errors: doc.errors.slice(0, 5).map((e) => {
      const { line, col } = lc.linePos(e.pos[0]);
      return `policy:${line}:${col}: ${e.message.split('\n')[0]}`;
    }),
  };
}

export function policyRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    // YAML arrives as text; fastify already parses text/plain, this adds the YAML types.
    app.addContentTypeParser(['text/yaml', 'application/yaml', 'application/x-yaml'], { parseAs: 'string', bodyLimit: POLICY_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );

    app.get('/api/v1/policy', { config: { auth: ALL_ROLES } }, async (req: FastifyRequest<{ Querystring: { format?: string } }>, reply) => {
      const policy = redactPolicy(ctx.policy.policy, req.principal?.role);
      const body = { version: ctx.policy.versionId, policy, fileErrors: ctx.policy.lastFileError };
      if (req.query.format === 'yaml') return reply.type('text/yaml').send(stringify(policy));
      return body;
    });

    app.put(
      '/api/v1/policy',
      { config: { auth: ADMIN }, bodyLimit: POLICY_MAX_BYTES, schema: { querystring: Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) }) } },
      async (req: FastifyRequest<{ Querystring: { comment?: string } }>) => {
        const parsed = parsePolicyBody(req.body);
        if (!parsed.ok) {
          await audit(ctx.db, { actor: req.principal!.actor, action: 'policy.update', outcome: 'failed', ip: req.ip, detail: { errors: parsed.errors } });
          throw policyInvalid(parsed.errors);
        }
        // Where the edit came from, for the audit log and the policy history: a signed-in browser
        // session is the dashboard's Policy page, a bearer token a script.
        const source = req.principal!.kind === 'session' ? 'dashboard' : 'api';
        const v = await ctx.policy.record(parsed.policy, source, req.principal!.actor, req.query.comment);
        return { version: v.id, policy: v.policy, note: 'Applies to each device from its next report.' };
      },
    );

    app.get(
      '/api/v1/policy/history',
      { config: { auth: ALL_ROLES }, schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }) } },
      async (req: FastifyRequest<{ Querystring: { limit?: number } }>) => {
        const rows = await ctx.policy.history(req.query.limit ?? 100);
        return {
          items: rows.map((r) => ({ version: r.id, source: r.source, createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by, comment: r.comment, policy: redactPolicy(r.policy, req.principal?.role) })),
        };
      },
    );

    app.post('/api/v1/policy/reload', { config: { auth: ADMIN } }, async (req) => {
      const r = await ctx.policy.reloadFile(`reload:${req.principal!.actor}`);
      await audit(ctx.db, { actor: req.principal!.actor, action: 'policy.reload', outcome: r.ok ? 'ok' : 'failed', ip: req.ip, detail: r.errors ? { errors: r.errors } : null });
      if (!r.ok) throw policyInvalid(r.errors ?? []);
      return { ok: true, version: ctx.policy.versionId };
    });
  };
}
