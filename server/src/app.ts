/**
 * buildApp(): the fastify application with every domain plugin registered, apart from
 * listen() so tests can use inject() and the real server alike.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { TypeBoxValidatorCompiler } from './shared/typebox-compiler.js';
import { LIMITS } from '#shared/protocol/limits.js';
import type { Ctx } from './context.js';
import { installAuth, type RegisteredRoute } from './auth/install.js';
import { ApiError } from './shared/errors.js';
import { isDbUnavailable } from './db/types.js';
import { enrollmentRoutes } from './enrollment/routes.js';
import { deviceRoutes } from './devices/routes.js';
import { deviceLifecycleRoutes } from './devices/lifecycle-routes.js';
import { systemRoutes } from './system/routes.js';
import { registerDomainPlugins } from './plugins.js';
import { registerOpenApi } from './docs/openapi.js';
import { PAGE_CSP } from './dashboard/security.js';
import { layout } from './dashboard/layout.js';
import { html } from './dashboard/html.js';
import { refuseUnstorableInput } from './shared/storable-hook.js';
import { capPublicRequests } from './http/public-limits.js';
import { RefusalAudit } from './audit/aggregate.js';
import rateLimit from '@fastify/rate-limit';
import { requestLogSerializers } from './http/log-redact.js';

export interface BuiltApp {
  app: FastifyInstance;
  routes: RegisteredRoute[];
  /** Refused/throttled unauthenticated attempts, written as one audit row per source per minute. */
  refusals: RefusalAudit;
}

export async function buildApp(ctx: Omit<Ctx, 'log' | 'refusals'>, opts: { logger?: boolean | object; https?: { cert: Buffer; key: Buffer } } = {}): Promise<BuiltApp> {
  const app = Fastify({
    // Request lines with credential query values redacted (?t= link tokens, OIDC code/state).
    logger: opts.logger && typeof opts.logger === 'object' ? { ...opts.logger, serializers: requestLogSerializers } : opts.logger === true ? { serializers: requestLogSerializers } : false,
    // Per-request lines would drown the first-start banner; see the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.maxHttpBodyBytes,
    // X-Forwarded-* only from the configured proxies (issue 11 #5): otherwise anyone picks their own req.ip.
    trustProxy: ctx.config.trustedProxies.length ? ctx.config.trustedProxies : false,
    // A client that sends headers and then nothing is cut off (issue 11 #7).
    requestTimeout: ctx.config.requestTimeoutMs,
    connectionTimeout: 2 * ctx.config.requestTimeoutMs,
    keepAliveTimeout: 10_000,
    ...(opts.https ? { https: opts.https } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  } as object) as unknown as FastifyInstance;
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // `curl -X POST -H 'content-type: application/json'` with no body is an absent body, not a 400;
  // anything else goes through fastify's own (prototype-poisoning safe) JSON parser.
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' ? done(null, undefined) : json(req, body as string, done),
  );
  // OpenAPI first: it collects every route registered after it.
  await registerOpenApi(app, ctx.version);
  app.server.headersTimeout = Math.min(10_000, ctx.config.requestTimeoutMs);
  const refusals = new RefusalAudit(ctx.db);
  app.addHook('onClose', async () => refusals.close());
  const full: Ctx = { ...ctx, log: app.log, refusals };
  // Before auth: a slow-body flood is refused before any database lookup.
  capPublicRequests(app, ctx.config.maxPublicRequestsPerSource);
  const routes = installAuth(app, ctx.db);
  refuseUnstorableInput(app);
  // Per-route limits (config.rateLimit) only; answered in our error shape.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, c) => new ApiError(429, 'POSTURE_ERR_RATE_LIMITED', `Too many requests; retry in ${Math.ceil(c.ttl / 1000)} s.`, { retryAfterSec: Math.ceil(c.ttl / 1000) }),
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown; field?: string }, req, reply) => {
    if (err instanceof ApiError) {
      if (err.statusCode === 503) reply.header('retry-after', '5');
      if (err.statusCode === 429) reply.header('retry-after', String(err.extra?.retryAfterSec ?? 5));
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, ...err.extra } });
    }
    if (err.validation) return reply.code(400).send({ error: { code: 'POSTURE_ERR_VALIDATION', message: err.message, ...(err.field ? { field: err.field } : {}) } });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: { code: 'POSTURE_ERR_BODY_TOO_LARGE', message: `Request body exceeds ${LIMITS.maxHttpBodyBytes} bytes.` } });
    if (isDbUnavailable(err)) {
      reply.header('retry-after', '5');
      return reply.code(503).send({ error: { code: 'POSTURE_ERR_DB_UNAVAILABLE', message: 'The database is unavailable; retry shortly.' } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: { code: 'POSTURE_ERR_BAD_REQUEST', message: err.message } });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'POSTURE_ERR_INTERNAL', message: 'Internal error; it has been logged.' } });
  });

  // Unknown routes answer in the documented error shape too (scripts parse error.code).
  // A person following a stale link gets a page, not JSON.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const message = `No route ${req.method} ${path}.`;
    const wantsPage = req.method === 'GET' && !/^\/(api|agent)\//.test(path) && String(req.headers.accept ?? '').includes('text/html');
    if (wantsPage)
      return reply.code(404).type('text/html').send(layout({ title: 'Not found', principal: null, body: html`<h1>Page not found</h1><p class="err" id="error-message">${message}</p><p><a href="/">Back to the fleet</a></p>` }));
    return reply.code(404).send({ error: { code: 'POSTURE_ERR_NOT_FOUND', message } });
  });

  // Request log: errors (≥ 500 at error, refusals ≥ 400 at info), everything else at debug only
  // (LOG_LEVEL=debug). The URL is logged without its query string: My-device tokens travel there.
  app.addHook('onResponse', async (req, reply) => {
    const line = { method: req.method, url: req.url.split('?')[0], statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) req.log.error(line, 'request failed');
    else if (reply.statusCode >= 400) req.log.info(line, 'request refused');
    else req.log.debug(line, 'request');
  });

  // Every HTML page gets the strict page policy unless its plugin set a tighter one itself.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html') && !reply.getHeader('content-security-policy')) {
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
    }
    return payload;
  });

  await app.register(systemRoutes(full));
  await app.register(enrollmentRoutes(full));
  await app.register(deviceRoutes(full));
  await app.register(deviceLifecycleRoutes(full));
  await registerDomainPlugins(app, full);
  return { app, routes, refusals };
}
