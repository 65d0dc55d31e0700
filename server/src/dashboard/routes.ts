/** Dashboard pages (server-rendered; every value escaped by the html tag). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHECK_IDS, CHECK_TITLES } from '#shared/checks/ids.js';
import { DEVICE_STATES } from '#shared/policy/evaluate.js';
import type { Ctx } from '../context.js';
import { ALL_ROLES } from '../auth/roles.js';
import { ApiError } from '../shared/errors.js';
import { listDevices, getDevice, deviceEvents, deviceReports, type DeviceListQuery } from '../devices/dal.js';
import { html, qs, timeAgo } from './html.js';
import { badge, layout } from './layout.js';
import { loginRoutes } from './login.js';
import { APP_JS } from './app-js.js';

const str = (v: unknown, max = 200) => (typeof v === 'string' && v.length <= max ? v : undefined);

export function dashboardRoutes(ctx: Ctx) {
  return async (app: FastifyInstance) => {
    // Browsers that are not signed in go to the login page instead of seeing JSON.
    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof ApiError && err.statusCode === 401 && req.method === 'GET') return reply.redirect(`/login${qs({ next: req.url })}`);
      if (err instanceof ApiError) return reply.code(err.statusCode).type('text/html').send(layout({ title: 'Error', principal: req.principal, body: html`<h1>${err.statusCode}</h1><p class="err">${err.message}</p>` }));
      throw err;
    });

    await app.register(loginRoutes(ctx));

    app.get('/static/app.js', { config: { auth: 'public' } }, async (_req, reply) => reply.type('application/javascript').header('cache-control', 'no-cache').send(APP_JS));

    app.get('/', { config: { auth: ALL_ROLES } }, async (req, reply) => {
      const counts = await ctx.db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM devices WHERE revoked_at IS NULL GROUP BY state');
      const byState = Object.fromEntries(counts.rows.map((r) => [r.state, Number(r.n)]));
      const total = Object.values(byState).reduce((a, b) => a + b, 0);
      const perCheck = await ctx.db.query<{ check_id: string; platform: string; pass: string; n: string }>(
        `SELECT c.check_id, d.platform, count(*) FILTER (WHERE c.state IN ('pass','excluded','not_required')) AS pass, count(*) AS n
           FROM check_states c JOIN devices d ON d.id = c.device_id WHERE d.revoked_at IS NULL GROUP BY c.check_id, d.platform ORDER BY 1, 2`,
      );
      const noncompliant = await listDevices(ctx.db, { state: 'noncompliant', limit: 20, sort: 'last_seen', order: 'desc' });
      const failing = await listDevices(ctx.db, { state: 'failing', limit: 20, sort: 'deadline', order: 'asc' });
      const stale = await listDevices(ctx.db, { state: 'stale', limit: 20, sort: 'last_seen', order: 'asc' });
      const small = (items: typeof failing.items, extra: (d: (typeof items)[number]) => unknown) =>
        items.length
          ? html`<table><tr><th>Device</th><th>Owner</th><th>Failing</th><th></th></tr>${items.map((d) => html`<tr><td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${d.owner ?? ''}</td><td>${d.failing_checks.join(', ')}</td><td>${extra(d)}</td></tr>`)}</table>`
          : html`<p class="muted">None.</p>`;
      const body = html`<h1>Fleet</h1>
<div class="cards"><div class="card"><div class="n">${total}</div>devices</div>
${DEVICE_STATES.map((s) => html`<a class="card" href="/devices${qs({ state: s })}" style="text-decoration:none;color:inherit"><div class="n">${byState[s] ?? 0}</div>${badge(s)}</a>`)}</div>
<h2>Compliance by check and platform</h2>
<table><tr><th>Check</th><th>Platform</th><th class="num">Passing</th><th class="num">Devices</th><th class="num">%</th></tr>
${perCheck.rows.map((r) => html`<tr><td>${CHECK_TITLES[r.check_id as keyof typeof CHECK_TITLES] ?? r.check_id}</td><td>${r.platform}</td><td class="num">${r.pass}</td><td class="num">${r.n}</td><td class="num">${Math.round((100 * Number(r.pass)) / Math.max(1, Number(r.n)))}%</td></tr>`)}</table>
<h2>Noncompliant</h2>${small(noncompliant.items, (d) => html`since ${timeAgo(d.state_since)}`)}
<h2>Failing — nearest deadline first</h2>${small(failing.items, (d) => html`deadline ${timeAgo(d.next_deadline)}`)}
<h2>Stale</h2>${small(stale.items, (d) => html`last seen ${timeAgo(d.last_report_at ?? d.last_seen_at)}`)}`;
      return reply.type('text/html').send(layout({ title: 'Fleet', principal: req.principal, body }));
    });

    app.get('/devices', { config: { auth: ALL_ROLES } }, async (req: FastifyRequest<{ Querystring: Record<string, string> }>, reply) => {
      const q = req.query;
      const f: DeviceListQuery = {
        state: DEVICE_STATES.includes(q.state as never) ? q.state : undefined,
        failingCheck: (CHECK_IDS as readonly string[]).includes(q.check) ? q.check : undefined,
        platform: str(q.platform, 32),
        osVersion: str(q.os, 64),
        q: str(q.q),
        sort: (['hostname', 'last_seen', 'state', 'os', 'owner', 'deadline'] as const).find((s) => s === q.sort),
        order: q.order === 'desc' ? 'desc' : 'asc',
        limit: 50,
        offset: Math.max(0, Math.min(10_000_000, parseInt(q.offset ?? '0', 10) || 0)),
      };
      const r = await listDevices(ctx.db, f);
      const keep = { state: f.state, check: f.failingCheck, platform: f.platform, os: f.osVersion, q: f.q };
      const sortLink = (key: string, label: string) =>
        html`<a href="/devices${qs({ ...keep, sort: key, order: f.sort === key && f.order === 'asc' ? 'desc' : 'asc' })}">${label}${f.sort === key ? (f.order === 'asc' ? ' ▲' : ' ▼') : ''}</a>`;
      const body = html`<h1>Devices</h1>
<form class="filters" method="get" action="/devices">
<input name="q" placeholder="hostname, serial, owner" value="${f.q ?? ''}">
<select name="state"><option value="">any state</option>${DEVICE_STATES.map((s) => html`<option ${s === f.state ? 'selected' : ''}>${s}</option>`)}</select>
<select name="check"><option value="">any failing check</option>${CHECK_IDS.map((c) => html`<option value="${c}" ${c === f.failingCheck ? 'selected' : ''}>${CHECK_TITLES[c]}</option>`)}</select>
<select name="platform"><option value="">any platform</option>${['linux', 'darwin', 'win32'].map((p) => html`<option ${p === f.platform ? 'selected' : ''}>${p}</option>`)}</select>
<input name="os" placeholder="OS version prefix" value="${f.osVersion ?? ''}" size="12">
<button>Filter</button></form>
<p class="muted" id="result-count">${r.total} device(s)</p>
<table id="device-table"><tr><th>${sortLink('hostname', 'Hostname')}</th><th>${sortLink('state', 'State')}</th><th>Failing checks</th><th>${sortLink('os', 'OS')}</th><th>${sortLink('owner', 'Owner')}</th><th>${sortLink('last_seen', 'Last seen')}</th></tr>
${r.items.map((d) => html`<tr><td><a href="/devices/${d.id}">${d.hostname}</a></td><td>${badge(d.state)}</td><td>${d.failing_checks.join(', ')}</td><td>${d.platform} ${d.os_name ?? ''} ${d.os_version ?? ''}</td><td>${d.owner ?? ''}</td><td>${timeAgo(d.last_seen_at)}</td></tr>`)}
</table>
<div class="pager">${f.offset! > 0 ? html`<a href="/devices${qs({ ...keep, sort: f.sort, order: f.order, offset: Math.max(0, f.offset! - 50) })}">← Previous</a>` : ''}
<span class="muted">${r.total ? f.offset! + 1 : 0}–${Math.min(f.offset! + 50, r.total)} of ${r.total}</span>
${f.offset! + 50 < r.total ? html`<a href="/devices${qs({ ...keep, sort: f.sort, order: f.order, offset: f.offset! + 50 })}">Next →</a>` : ''}</div>`;
      return reply.type('text/html').send(layout({ title: 'Devices', principal: req.principal, body }));
    });

    app.get('/devices/:id', { config: { auth: ALL_ROLES } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const d = await getDevice(ctx.db, req.params.id);
      if (!d) throw new ApiError(404, 'POSTURE_ERR_NOT_FOUND', 'Device not found.');
      const events = await deviceEvents(ctx.db, d.id, 100);
      const reports = await deviceReports(ctx.db, d.id, 20);
      const inv = d.inventory as Record<string, any>;
      const canAct = req.principal && req.principal.role !== 'auditor';
      const body = html`<h1 id="device-hostname">${d.hostname} ${badge(d.revoked_at ? 'revoked' : d.state)}</h1>
<p class="muted">${d.platform} ${d.os_name ?? ''} ${d.os_version ?? ''} · ${d.model ?? ''} · serial ${d.serial ?? '?'} · owner ${d.owner ?? '?'} · agent ${d.agent_version ?? '?'} · last seen ${timeAgo(d.last_seen_at)}</p>
${canAct && !d.revoked_at ? html`<p><button data-action="check-now" data-device="${d.id}">Re-check now</button> <button data-action="revoke" data-device="${d.id}">Revoke device</button> <span id="action-status" class="muted"></span></p>` : ''}
<h2>Checks</h2>
${d.checks.map((c: any) => html`<div class="check" data-check="${c.id}"><b>${CHECK_TITLES[c.id as keyof typeof CHECK_TITLES] ?? c.id}</b> ${badge(c.state)}
${c.deadline && c.state === 'failing' ? html`<span class="muted">deadline ${new Date(c.deadline).toISOString()} (${timeAgo(c.deadline)})</span>` : ''}
<div>${c.summary}</div>${(c.reasons as string[]).length && c.state !== 'pass' ? html`<div class="muted">${(c.reasons as string[]).join('; ')}</div>` : ''}
${c.state !== 'pass' && c.remediation?.steps?.length ? html`<ol class="fix">${c.remediation.steps.map((s: string) => html`<li>${s}</li>`)}</ol>` : ''}
<details><summary>Evidence</summary><pre>${JSON.stringify(c.evidence, null, 2)}</pre></details></div>`)}
${d.exclusions.length ? html`<h2>Exclusions</h2><table><tr><th>Check</th><th>Rationale</th><th>Approved by</th><th>Expires</th></tr>${d.exclusions.map((e: any) => html`<tr><td>${e.check_id}</td><td>${e.rationale}</td><td>${e.approved_by}</td><td>${new Date(e.expires_at).toISOString()}</td></tr>`)}</table>` : ''}
<h2>Inventory</h2>
<table><tr><th>CPU</th><td>${inv.cpu?.brand ?? ''} (${inv.cpu?.cores ?? '?'} cores)</td></tr>
<tr><th>Memory</th><td>${inv.memoryBytes ? `${(inv.memoryBytes / 2 ** 30).toFixed(1)} GiB` : ''}</td></tr>
<tr><th>Disks</th><td>${(inv.disks ?? []).map((x: any) => html`${x.name} ${x.type ?? ''} ${x.sizeBytes ? `${Math.round(x.sizeBytes / 1e9)} GB` : ''}<br>`)}</td></tr>
<tr><th>Network</th><td>${(inv.network ?? []).map((x: any) => html`${x.iface} ${x.mac ?? ''} ${x.ip4 ?? ''}<br>`)}</td></tr>
<tr><th>Users</th><td>${(inv.users ?? []).join(', ')}</td></tr></table>
<h2>Timeline</h2>
<table><tr><th>When</th><th>Check</th><th>Change</th></tr>${events.map((e: any) => html`<tr><td>${new Date(e.at).toISOString()}</td><td>${e.check_id === '*' ? 'device' : e.check_id}</td><td>${e.from_state ?? '—'} → ${badge(e.to_state)}</td></tr>`)}</table>
<h2>Recent reports</h2>
<table><tr><th>Collected</th><th>Report</th><th>Trigger</th><th>Results</th></tr>${reports.items.map((r) => html`<tr><td>${new Date(r.collected_at).toISOString()}</td><td><code>${r.report_id}</code></td><td>${r.trigger ?? ''}</td><td>${Object.entries(((r.summary as any)?.checks ?? {}) as Record<string, string>).map(([k, v]) => html`${k}:${badge(v)} `)}</td></tr>`)}</table>`;
      return reply.type('text/html').send(layout({ title: d.hostname, principal: req.principal, body }));
    });
  };
}
