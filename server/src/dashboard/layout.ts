/**
 * Page chrome shared by every dashboard page. The stylesheet and the one script are served
 * from /static so pages carry no inline code and a strict Content-Security-Policy applies
 * (see security.ts).
 */
import { html, type SafeHtml } from './html.js';
import type { Principal } from '../auth/roles.js';

export interface LayoutOpts {
  title: string;
  principal: Principal | null;
  body: SafeHtml;
  /** Kept for callers that pass one; pages have no inline script, so it is unused. */
  nonce?: string;
}

export function layout(o: LayoutOpts): string {
  const p = o.principal;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · Posture</title><link rel="stylesheet" href="/static/app.css">
${p?.csrf ? html`<meta name="csrf-token" content="${p.csrf}">` : ''}
</head><body>
<header><b>Posture</b>
${p ? html`<nav><a href="/">Fleet</a><a href="/devices">Devices</a><a href="/people">People</a><a href="/groups">Groups</a><a href="/updates">Updates</a><a href="/policy">Policy</a>${p.role !== 'helpdesk' ? html`<a href="/audit">Audit log</a><a href="/evidence">Evidence</a>` : ''}${p.role === 'admin' ? html`<a href="/alerts">Alerts</a><a href="/settings">Settings</a>` : ''}</nav>
<span class="who">${p.username ?? p.actor} · ${p.role} ${p.kind === 'session' ? html`<form method="post" action="/logout" class="inline" data-csrf><button>Sign out</button></form>` : ''}</span>` : ''}
</header>
<main>${o.body}</main>
<script src="/static/app.js" defer></script>
</body></html>`.value;
}

export const badge = (state: string | null | undefined) => html`<span class="badge s-${(state ?? 'unknown').replace(/[^a-z_]/g, '')}">${state ?? 'unknown'}</span>`;
