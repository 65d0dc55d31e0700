/** Page chrome shared by every dashboard page. */
import { html, raw, type SafeHtml } from './html.js';
import type { Principal } from '../auth/roles.js';

const CSS = `
:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
header{display:flex;gap:18px;align-items:center;padding:10px 20px;border-bottom:1px solid var(--line);background:var(--bg)}
header b{font-size:16px}header nav a{margin-right:14px;color:#0969da;text-decoration:none}header .who{margin-left:auto;color:var(--mute)}
main{padding:18px 20px;max-width:1400px}h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600}th a{color:inherit}td.num{text-align:right}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid transparent}
.s-compliant,.s-pass{background:#dafbe1;color:var(--ok)}.s-failing{background:#fff8c5;color:var(--warn)}
.s-noncompliant,.s-fail{background:#ffebe9;color:var(--bad)}.s-stale,.s-unknown,.s-not_required{background:#eaeef2;color:var(--mute)}
.s-excluded{background:#ddf4ff;color:#0969da}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px}.card .n{font-size:24px;font-weight:600}
form.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px}input,select,button,textarea{font:inherit;padding:4px 8px}
button{cursor:pointer}.muted{color:var(--mute)}.err{color:var(--bad)}pre{background:var(--bg);padding:8px;overflow:auto;max-height:300px;font-size:12px}
.pager{margin-top:10px;display:flex;gap:12px;align-items:center}ol.fix{margin:4px 0 0 18px;padding:0}
.check{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin-bottom:10px}
`;

export interface LayoutOpts {
  title: string;
  principal: Principal | null;
  body: SafeHtml;
  nonce?: string;
}

export function layout(o: LayoutOpts): string {
  const p = o.principal;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · Posture</title><style>${raw(CSS)}</style>
${p?.csrf ? html`<meta name="csrf-token" content="${p.csrf}">` : ''}
</head><body>
<header><b>Posture</b>
${p ? html`<nav><a href="/">Fleet</a><a href="/devices">Devices</a><a href="/policy">Policy</a>${p.role !== 'helpdesk' ? html`<a href="/audit">Audit log</a><a href="/evidence">Evidence</a>` : ''}</nav>
<span class="who">${p.username ?? p.actor} · ${p.role} ${p.kind === 'session' ? html`<form method="post" action="/logout" style="display:inline" data-csrf><button>Sign out</button></form>` : ''}</span>` : ''}
</header>
<main>${o.body}</main>
<script src="/static/app.js" defer></script>
</body></html>`.value;
}

export const badge = (state: string | null | undefined) => html`<span class="badge s-${(state ?? 'unknown').replace(/[^a-z_]/g, '')}">${state ?? 'unknown'}</span>`;
