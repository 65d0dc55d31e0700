/**
 * /docs: the API reference rendered on the server from the OpenAPI document (no client
 * script, so the dashboard's strict CSP holds), and /docs/openapi.json for tools
 * (Swagger Editor, Postman, code generators). Public: it describes the open-source API
 * surface and reveals no data; every operation still enforces its own roles.
 */
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { html, type SafeHtml } from '../dashboard/html.js';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: object }[];
  requestBody?: { content?: Record<string, { schema?: object }> };
  'x-posture-auth'?: string | string[];
}

function page(spec: { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, Operation>> }): string {
  const byTag = new Map<string, SafeHtml[]>();
  for (const [path, methods] of Object.entries(spec.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, op] of Object.entries(methods)) {
      const auth = op['x-posture-auth'];
      const who = Array.isArray(auth) ? auth.join(', ') : (auth ?? '');
      const params = (op.parameters ?? []).map((p) => html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''}) <code>${JSON.stringify(p.schema ?? {})}</code></li>`);
      const body = op.requestBody?.content?.['application/json']?.schema;
      const tag = op.tags?.[0] ?? 'other';
      const list = byTag.get(tag) ?? [];
      list.push(html`<details><summary><b>${method.toUpperCase()}</b> <code>${path}</code> <small>${who}</small></summary>
${op.description ? html`<p>${op.description}</p>` : ''}${params.length ? html`<p>Parameters:</p><ul>${params}</ul>` : ''}
${body ? html`<p>Request body (JSON Schema):</p><pre>${JSON.stringify(body, null, 2)}</pre>` : ''}</details>`);
      byTag.set(tag, list);
    }
  }
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${spec.info.title}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>${spec.info.title} <small>${spec.info.version}</small></h1><p>${spec.info.description ?? ''}</p>
<p>Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3).</p>
${[...byTag].map(([tag, ops]) => html`<h2>${tag}</h2>${ops}`)}</main></body></html>`.value;
}

export function docsRoutes(_ctx: Ctx) {
  return async (app: FastifyInstance) => {
    app.get('/docs/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
    app.get('/docs', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
      reply.type('text/html; charset=utf-8');
      return page(app.swagger() as never);
    });
  };
}
